// Gatehouse's one design system: colour and type tokens (light and dark, by the browser's
// preference), the page frame and form controls. The sign-in, consent, device, account and
// error pages inline it; the admin console's stylesheet is built from it (web/build.ts), so
// every page a person sees looks like the same product. System fonts only: nothing is fetched.

export const DESIGN_TOKENS = ':root{color-scheme:light dark;--bg:#f4f6f8;--surface:#fff;--text:#1b1f24;--muted:#57606a;' +
  '--border:#d0d7de;--accent:#1f5bd1;--accent-hover:#174aa8;--on-accent:#fff;--danger:#b42318;--ok:#1a7f37;--warn:#8a5a00;' +
  '--code:#eef1f4;--radius:8px;--shadow:0 1px 2px rgba(0,0,0,.06),0 4px 16px rgba(0,0,0,.04);' +
  '--font:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}' +
  '@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--surface:#181c22;--text:#e6e9ed;--muted:#a1aab4;--border:#353d47;' +
  '--accent:#8ab0ff;--accent-hover:#a9c4ff;--on-accent:#0b1220;--danger:#ff9b8f;--ok:#6fdd8b;--warn:#e8b64c;--code:#232932;' +
  '--shadow:0 1px 2px rgba(0,0,0,.4)}}'

export const BASE_STYLE = '*,*::before,*::after{box-sizing:border-box}' +
  'html{font-family:var(--font);font-size:100%;line-height:1.5;background:var(--bg);color:var(--text);-webkit-text-size-adjust:100%}' +
  'body{margin:0}h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}h2{font-size:1.125rem;margin:1.5rem 0 .5rem}' +
  'p{margin:0 0 .75rem}a{color:var(--accent)}a:hover{color:var(--accent-hover)}' +
  'code{font-family:var(--mono);font-size:.875em;background:var(--code);padding:.1em .35em;border-radius:4px;overflow-wrap:anywhere}' +
  'label{font-weight:600;display:inline-block;margin-bottom:.25rem}' +
  'input,select,textarea{font:inherit;color:inherit;background:var(--surface);border:1px solid var(--border);border-radius:var(--radius);' +
  'padding:.5rem .75rem;width:100%;max-width:100%}textarea{font-family:var(--mono);font-size:.875rem}' +
  'button,.button{font:inherit;font-weight:600;display:inline-block;text-decoration:none;cursor:pointer;border-radius:var(--radius);' +
  'padding:.5rem 1rem;margin:0 .5rem .5rem 0;border:1px solid var(--border);background:var(--surface);color:var(--text)}' +
  'button[type=submit]:not(.secondary),.button.primary{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}' +
  'button[type=submit]:not(.secondary):hover,.button.primary:hover{background:var(--accent-hover)}' +
  'button.danger{color:var(--danger);border-color:currentColor;background:transparent}' +
  ':focus-visible{outline:3px solid var(--accent);outline-offset:2px}' +
  '[role=alert]{border-left:4px solid var(--danger);padding:.5rem .75rem;background:var(--code);border-radius:4px}' +
  '.muted{color:var(--muted)}'

/** The frame of the server-rendered pages: a brand line and one card. */
export const PAGE_STYLE = DESIGN_TOKENS + BASE_STYLE +
  '.brand{max-width:30rem;margin:0 auto;padding:1.25rem 1rem .5rem;font-weight:700;letter-spacing:.01em}' +
  '.brand span{color:var(--accent)}main{max-width:30rem;margin:0 auto 2rem;padding:1.5rem;background:var(--surface);' +
  'border:1px solid var(--border);border-radius:12px;box-shadow:var(--shadow)}' +
  'main form p input{margin-top:.1rem}ul{padding-left:1.25rem}li{margin:.25rem 0}' +
  '@media (max-width:30rem){main{border-radius:0;border-left:0;border-right:0}}'
