/** Reported by nodes and controllers so a rolling upgrade can tell versions apart. */
export const DOTM_VERSION = '0.1.0';
