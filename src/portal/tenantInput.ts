import { normalizeHostname, type TenantSettings, type TenantTheme } from '../db/TenantRepository.ts';
import { absoluteHttpUrl } from '../protocol/httpUrl.ts';
import { TenantAdminError } from './TenantAdminError.ts';

/*
 * What an administrator may set on a tenant, checked the same way for the JSON admin API and the
 * CLI. Field names are the JSON API's; every refusal names the field and what is allowed.
 */

export interface TenantCreateInput {
  name: string;
  region: string;
  hostnames: string[];
  /** Empty: one is generated. */
  secrets: string[];
  settings: TenantSettings;
}

export interface TenantPatchInput {
  name?: string;
  region?: string;
  /** Replaces the list. */
  hostnames?: string[];
  addHostnames?: string[];
  removeHostnames?: string[];
  /** Replaces the list, in order (the first signs and is printed). */
  secrets?: string[];
  /** Appended after the current ones. */
  addSecrets?: string[];
  removeSecrets?: string[];
  /** A JSON merge patch (RFC 7396) over the current settings: null removes a setting. */
  settings?: unknown;
}

export const MAX_HOSTNAMES = 50;
export const MAX_SECRETS = 20;
export const MIN_SECRET_LENGTH = 16;
const MAX_PARAMS = 100;
const MAX_COLORS = 20;

const CREATE_FIELDS = ['name', 'region', 'hostnames', 'secrets', 'settings'];
const PATCH_FIELDS = [
  'name',
  'region',
  'hostnames',
  'addHostnames',
  'removeHostnames',
  'secrets',
  'addSecrets',
  'removeSecrets',
  'settings',
];
const SETTINGS_FIELDS = [
  'defaultCreateParams',
  'overrideCreateParams',
  'defaultJoinParams',
  'overrideJoinParams',
  'theme',
  'logoutUrl',
];
const THEME_FIELDS = ['name', 'logoUrl', 'colors'];
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
/** Parameters a preset must not set: they identify the call or the meeting, not how it runs. */
const NOT_PRESETTABLE = new Set(['checksum', 'meetingID']);
/** Colours end up in the meeting page's CSS: only forms that cannot carry anything else. */
const CSS_COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|rgba|hsl|hsla)\([0-9.,%\s/]{1,60}\))$/;
const COLOR_NAME = /^[a-zA-Z][a-zA-Z0-9-]{0,31}$/;

export function parseTenantCreate(body: Record<string, unknown>): TenantCreateInput {
  refuseUnknown(body, CREATE_FIELDS, '');
  if (body.name === undefined) invalid('"name" is required');
  return {
    name: nameField(body.name),
    region: body.region === undefined ? '' : regionField(body.region),
    hostnames: body.hostnames === undefined ? [] : hostnamesField('hostnames', body.hostnames),
    secrets: body.secrets === undefined ? [] : secretsField('secrets', body.secrets),
    settings: body.settings === undefined ? {} : parseSettings(body.settings),
  };
}

export function parseTenantPatch(body: Record<string, unknown>): TenantPatchInput {
  refuseUnknown(body, PATCH_FIELDS, '');
  const patch: TenantPatchInput = {};
  if (body.name !== undefined) patch.name = nameField(body.name);
  if (body.region !== undefined) patch.region = regionField(body.region);
  for (const field of ['hostnames', 'addHostnames', 'removeHostnames'] as const)
    if (body[field] !== undefined) patch[field] = hostnamesField(field, body[field]);
  if (body.secrets !== undefined) {
    patch.secrets = secretsField('secrets', body.secrets);
    if (patch.secrets.length === 0)
      invalid('"secrets" cannot be empty: a tenant without a secret is locked out');
  }
  if (body.addSecrets !== undefined) patch.addSecrets = secretsField('addSecrets', body.addSecrets);
  if (body.removeSecrets !== undefined) patch.removeSecrets = stringList('removeSecrets', body.removeSecrets);
  if (body.settings !== undefined) {
    if (body.settings !== null && !isObject(body.settings))
      invalid('"settings" must be an object (a JSON merge patch: null removes a setting)');
    patch.settings = body.settings;
  }
  if (Object.keys(patch).length === 0)
    invalid(`nothing to change: give at least one of ${PATCH_FIELDS.map((f) => `"${f}"`).join(', ')}`);
  return patch;
}

/** Checks a whole settings object and returns it with only what is allowed, values as strings. */
export function parseSettings(value: unknown): TenantSettings {
  if (!isObject(value)) invalid('"settings" must be an object');
  refuseUnknown(value, SETTINGS_FIELDS, 'settings.');
  const settings: TenantSettings = {};
  for (const field of [
    'defaultCreateParams',
    'overrideCreateParams',
    'defaultJoinParams',
    'overrideJoinParams',
  ] as const) {
    if (value[field] !== undefined) settings[field] = paramsField(`settings.${field}`, value[field]);
  }
  if (value.theme !== undefined) settings.theme = themeField(value.theme);
  if (value.logoutUrl !== undefined) settings.logoutUrl = urlField('settings.logoutUrl', value.logoutUrl);
  return settings;
}

/** RFC 7396: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export function checkSecret(field: string, secret: unknown): string {
  if (typeof secret !== 'string') invalid(`"${field}" must be a string`);
  if (secret.length < MIN_SECRET_LENGTH || secret.length > 256)
    invalid(`"${field}" must be ${MIN_SECRET_LENGTH} to 256 characters long`);
  if (!/^[\x21-\x7e]+$/.test(secret))
    invalid(`"${field}" may hold printable ASCII characters only, without spaces`);
  return secret;
}

function nameField(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') invalid('"name" must be a non-empty string');
  const name = value.trim();
  if (name.length > 100) invalid('"name" is longer than 100 characters');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) invalid('"name" must not contain control characters');
  return name;
}

function regionField(value: unknown): string {
  if (typeof value !== 'string') invalid('"region" must be a string');
  const region = value.trim();
  if (!/^[A-Za-z0-9._-]{0,64}$/.test(region))
    invalid('"region" is up to 64 letters, digits, ".", "_" or "-" (e.g. "sa-east")');
  return region;
}

function hostnamesField(field: string, value: unknown): string[] {
  const names = stringList(field, value).map((given) => {
    const hostname = normalizeHostname(given);
    if (!isHostname(hostname)) invalid(`"${field}": "${given.slice(0, 100)}" is not a host name`);
    return hostname;
  });
  if (names.length > MAX_HOSTNAMES) invalid(`"${field}" holds at most ${MAX_HOSTNAMES} host names`);
  return [...new Set(names)];
}

function secretsField(field: string, value: unknown): string[] {
  const secrets = stringList(field, value).map((s, i) => checkSecret(`${field}[${i}]`, s));
  if (secrets.length > MAX_SECRETS) invalid(`"${field}" holds at most ${MAX_SECRETS} secrets`);
  return [...new Set(secrets)];
}

function paramsField(field: string, value: unknown): Record<string, string> {
  if (!isObject(value)) invalid(`"${field}" must be an object of BigBlueButton parameter names and values`);
  const entries = Object.entries(value);
  if (entries.length > MAX_PARAMS) invalid(`"${field}" holds at most ${MAX_PARAMS} parameters`);
  const params: Record<string, string> = {};
  for (const [name, raw] of entries) {
    if (!PARAM_NAME.test(name)) invalid(`"${field}": "${name.slice(0, 100)}" is not a parameter name`);
    if (NOT_PRESETTABLE.has(name)) invalid(`"${field}": "${name}" cannot be preset`);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')
      invalid(`"${field}.${name}" must be a string, number or boolean`);
    const text = String(raw);
    if (text.length > 4096) invalid(`"${field}.${name}" is longer than 4096 characters`);
    params[name] = text;
  }
  return params;
}

function themeField(value: unknown): TenantTheme {
  if (!isObject(value)) invalid('"settings.theme" must be an object with "name", "logoUrl", "colors"');
  refuseUnknown(value, THEME_FIELDS, 'settings.theme.');
  const theme: TenantTheme = {};
  if (value.name !== undefined) {
    if (typeof value.name !== 'string' || value.name.length > 100)
      invalid('"settings.theme.name" must be a string of up to 100 characters');
    theme.name = value.name;
  }
  if (value.logoUrl !== undefined) theme.logoUrl = urlField('settings.theme.logoUrl', value.logoUrl);
  if (value.colors !== undefined) {
    if (!isObject(value.colors))
      invalid('"settings.theme.colors" must be an object, e.g. {"primary": "#0a58ca"}');
    const entries = Object.entries(value.colors);
    if (entries.length > MAX_COLORS) invalid(`"settings.theme.colors" holds at most ${MAX_COLORS} colours`);
    const colors: Record<string, string> = {};
    for (const [name, color] of entries) {
      if (!COLOR_NAME.test(name))
        invalid(`"settings.theme.colors": "${name.slice(0, 40)}" is not a colour name`);
      if (typeof color !== 'string' || !CSS_COLOR.test(color.trim()))
        invalid(
          `"settings.theme.colors.${name}" must be a CSS colour: #rgb, #rrggbb, a colour name, rgb(…) or hsl(…)`,
        );
      colors[name] = color.trim();
    }
    theme.colors = colors;
  }
  return theme;
}

function urlField(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048)
    invalid(`"${field}" must be a URL of up to 2048 characters`);
  if (!absoluteHttpUrl(value)) invalid(`"${field}" must be an absolute http or https URL`);
  return value;
}

function stringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    invalid(`"${field}" must be an array of strings`);
  return value as string[];
}

function isHostname(name: string): boolean {
  if (name.startsWith('[') && name.endsWith(']')) return /^\[[0-9a-f:.]{2,45}\]$/.test(name);
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => HOST_LABEL.test(label));
}

function refuseUnknown(body: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0)
    invalid(
      `unknown field "${prefix}${unknown[0]!.slice(0, 60)}"; allowed: ${allowed.map((f) => `"${prefix}${f}"`).join(', ')}`,
    );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): never {
  throw new TenantAdminError('invalid', message);
}
