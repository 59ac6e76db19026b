/**
 * The tenant's look on the meeting page: name, logo and colours from `/api/v1/theme`, set as CSS
 * custom properties (`--dotm-<role>`) that meeting.css falls back from.
 */

export interface PageTheme {
  name: string;
  logoUrl?: string;
  colors: Record<string, string>;
}

const PRODUCT_NAME = 'dotm';
/** Role names administrators use for the ones meeting.css knows by another name. */
const ALIASES: Record<string, string> = { primary: 'accent', background: 'bg', foreground: 'text' };
/** The server checks colours; this is the page's own guard, as these go straight into the style. */
const CSS_COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|rgba|hsl|hsla)\([0-9.,%\s/]{1,60}\))$/;
const COLOR_ROLE = /^[a-zA-Z][a-zA-Z0-9-]{0,31}$/;

let brandName = PRODUCT_NAME;

/** The tenant a join token belongs to (its `tid` claim), unverified: only to pick the theme. */
export function tenantInToken(token: string): string | undefined {
  const tid = claimsOf(token)?.tid;
  return typeof tid === 'string' && tid !== '' ? tid : undefined;
}

/** A JWT's payload, decoded without checking it (the controller checks the token when it is used). */
export function claimsOf(token: string): Record<string, unknown> | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const bytes = Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
      c.charCodeAt(0),
    );
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the controller for the theme: by tenant when known, else by this page's hostname. */
export async function loadTheme(tenantId: string | undefined): Promise<PageTheme | undefined> {
  const query = tenantId ? `?tenant=${encodeURIComponent(tenantId)}` : '';
  try {
    const response = await fetch(`/api/v1/theme${query}`, { headers: { Accept: 'application/json' } });
    if (!response.ok) return undefined;
    return asTheme(await response.json());
  } catch {
    return undefined; // the page works in its own colours
  }
}

export function applyTheme(theme: PageTheme, root: HTMLElement = document.documentElement): void {
  const properties = new Map<string, string>();
  // Aliases first, so a colour given under meeting.css's own name wins over its alias.
  for (const [role, color] of Object.entries(theme.colors))
    if (ALIASES[role]) properties.set(ALIASES[role], color);
  for (const [role, color] of Object.entries(theme.colors)) properties.set(role.toLowerCase(), color);
  const accent = properties.get('accent');
  if (accent && !properties.has('accent-strong'))
    properties.set('accent-strong', `color-mix(in srgb, ${accent} 82%, #000)`);
  for (const [role, value] of properties) root.style.setProperty(`--dotm-${role}`, value);

  brandName = theme.name.trim() || PRODUCT_NAME;
  for (const label of document.querySelectorAll<HTMLElement>('.brand-name')) label.textContent = brandName;
  for (const logo of document.querySelectorAll<HTMLImageElement>('img.tenant-logo')) {
    if (theme.logoUrl) {
      logo.src = theme.logoUrl;
      logo.alt = brandName;
      logo.hidden = false;
    } else {
      logo.removeAttribute('src');
      logo.hidden = true;
    }
  }
  document.body.classList.toggle('has-tenant-logo', Boolean(theme.logoUrl));
  retitle();
}

/** The page title with the tenant's name where the product's would be. */
export function retitle(): void {
  if (brandName === PRODUCT_NAME) return;
  document.title = document.title.replace(/\bdotm\b/, brandName);
}

/** Keeps only what can safely become text, an image address and CSS colours. */
function asTheme(value: unknown): PageTheme | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, logoUrl, colors } = value as Record<string, unknown>;
  const theme: PageTheme = { name: typeof name === 'string' ? name.slice(0, 100) : PRODUCT_NAME, colors: {} };
  if (typeof logoUrl === 'string' && /^https?:\/\//i.test(logoUrl)) theme.logoUrl = logoUrl;
  if (typeof colors === 'object' && colors !== null) {
    for (const [role, color] of Object.entries(colors)) {
      if (COLOR_ROLE.test(role) && typeof color === 'string' && CSS_COLOR.test(color))
        theme.colors[role] = color;
    }
  }
  return theme;
}
