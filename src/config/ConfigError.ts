/** A configuration value is wrong; the message names the setting, the value and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
