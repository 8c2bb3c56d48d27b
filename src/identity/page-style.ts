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

/**
 * The frame of the server-rendered pages: the product's mark above one card, the application's
 * mark and the title at the top of the card, full-width controls, an "or" divider, alerts and
 * the reference line of error pages. Built on the tokens and base above (which the console shares
 * and which stay as they are); everything here only adds to or refines them. `--link` keeps link
 * text readable on both backgrounds whatever accent a brand sets.
 */
export const PAGE_STYLE = DESIGN_TOKENS + BASE_STYLE +
  ':root{--link:#1f5bd1;--link-hover:#174aa8;--subtle:#f6f8fa;--field-border:#8c959f}' +
  '@media (prefers-color-scheme:dark){:root{--link:#8ab0ff;--link-hover:#a9c4ff;--subtle:#1f242b;--field-border:#5b6470}}' +
  'body{min-height:100vh;display:flex;flex-direction:column;align-items:center;padding:2.5rem 1rem 1.5rem;' +
  'background:radial-gradient(56rem 22rem at 50% -10rem,color-mix(in srgb,var(--accent) 16%,transparent),transparent 72%) no-repeat,var(--bg)}' +
  'a{color:var(--link);text-underline-offset:.15em}a:hover{color:var(--link-hover)}' +
  '.top{display:flex;align-items:center;justify-content:center;gap:.6rem;margin:0 0 1.25rem;font-weight:700;font-size:1.0625rem;letter-spacing:.005em;color:var(--text)}' +
  '.top img{height:2rem;width:auto;max-width:10rem;display:block}' +
  '.mark{display:inline-flex;align-items:center;justify-content:center;width:2rem;height:2rem;border-radius:8px;background:var(--accent);' +
  'color:var(--on-accent);font-weight:800;font-size:1rem;line-height:1;flex:none}' +
  'main{width:100%;max-width:27rem;padding:2rem 2rem 1.5rem;background:var(--surface);border:1px solid var(--border);border-radius:14px;box-shadow:var(--shadow)}' +
  'main.wide{max-width:44rem}.wide h2{margin-top:1.5rem;padding-top:1.25rem;border-top:1px solid var(--border)}' +
  '.wide .stack{align-items:flex-start}.wide .stack>button,.wide .stack>.button{width:auto}' +
  '.head{text-align:center;margin-bottom:1.5rem}.head h1{margin:0 0 .35rem}.head p{margin:0;color:var(--muted)}' +
  '.app{display:flex;justify-content:center;margin-bottom:1rem}' +
  '.app img{width:3.5rem;height:3.5rem;object-fit:contain;border-radius:12px;border:1px solid var(--border);background:var(--surface);padding:.35rem}' +
  '.app .mark{width:3.5rem;height:3.5rem;border-radius:12px;font-size:1.5rem}' +
  '.app .mark.done{border-radius:50%;background:color-mix(in srgb,var(--ok) 14%,var(--surface));color:var(--ok);font-size:1.625rem}' +
  '.app .mark.problem{border-radius:50%;background:color-mix(in srgb,var(--danger) 14%,var(--surface));color:var(--danger);font-size:1.75rem}' +
  'h2{font-size:1rem;margin:1.75rem 0 .5rem}main>h2:first-of-type{margin-top:.5rem}' +
  'label{font-size:.9375rem}input,select,textarea{border-color:var(--field-border);padding:.625rem .75rem;min-height:2.75rem;margin-top:.125rem}' +
  'input:focus,select:focus,textarea:focus{border-color:var(--accent);outline:3px solid color-mix(in srgb,var(--accent) 35%,transparent);outline-offset:0}' +
  'input[aria-invalid=true]{border-color:var(--danger)}' +
  '.field{margin:0 0 1rem}' +
  'button,.button{min-height:2.75rem;padding:.5rem 1rem;margin:0;border-radius:var(--radius);line-height:1.25;transition:background-color .12s,border-color .12s}' +
  '.button{display:inline-flex;align-items:center;justify-content:center;text-align:center}' +
  '.stack{display:flex;flex-direction:column;gap:.625rem;margin:0 0 1rem}.stack>button,.stack>.button{width:100%;text-align:center}' +
  '.row{display:flex;flex-wrap:wrap;gap:.625rem;margin:1rem 0}.row>*{flex:1 1 8rem;text-align:center}' +
  'button.secondary,.button.secondary,.provider{background:var(--surface);color:var(--text);border-color:var(--field-border)}' +
  'button.secondary:hover,.button.secondary:hover,.provider:hover{background:var(--subtle)}' +
  'button.secondary.danger{color:var(--danger);border-color:color-mix(in srgb,var(--danger) 55%,transparent)}' +
  '.provider{display:flex;align-items:center;justify-content:center;gap:.625rem}' +
  '.provider .mark{width:1.5rem;height:1.5rem;border-radius:6px;font-size:.8125rem}' +
  'button.link{background:none;border:0;color:var(--link);text-decoration:underline;text-underline-offset:.15em;font-weight:500;min-height:0;padding:.25rem}' +
  '.divider{display:flex;align-items:center;gap:.75rem;color:var(--muted);font-size:.875rem;margin:1.25rem 0}' +
  '.divider::before,.divider::after{content:"";flex:1;border-top:1px solid var(--border)}' +
  '[role=alert],.alert{border:1px solid color-mix(in srgb,var(--danger) 45%,transparent);border-left:4px solid var(--danger);' +
  'background:color-mix(in srgb,var(--danger) 8%,var(--surface));padding:.625rem .875rem;border-radius:var(--radius);margin:0 0 1rem}' +
  '[role=status]:not(:empty){border-left:4px solid var(--ok);background:color-mix(in srgb,var(--ok) 8%,var(--surface));padding:.625rem .875rem;border-radius:var(--radius)}' +
  '.ref{font-size:.875rem;color:var(--muted);margin-top:1.25rem;padding-top:1rem;border-top:1px solid var(--border)}' +
  '.code{display:block;text-align:center;font-size:1.75rem;letter-spacing:.18em;padding:.75rem;margin:1rem 0;border-radius:var(--radius)}' +
  'input.code-input{font-family:var(--mono);font-size:1.375rem;letter-spacing:.18em;text-align:center;text-transform:uppercase}' +
  '.scopes{list-style:none;padding:0;margin:0 0 1.25rem;border:1px solid var(--border);border-radius:var(--radius)}' +
  '.scopes li{margin:0;padding:.75rem .875rem;border-top:1px solid var(--border)}.scopes li:first-child{border-top:0}' +
  '.scopes small{display:block;color:var(--muted)}' +
  'dl{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.375rem 1rem;margin:0 0 1rem}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}' +
  'table{width:100%;border-collapse:collapse;margin:0 0 1rem;font-size:.9375rem}th,td{text-align:left;padding:.5rem .5rem .5rem 0;border-bottom:1px solid var(--border);vertical-align:top}' +
  'th{color:var(--muted);font-weight:600}.table{overflow-x:auto}' +
  '.chips{display:flex;flex-wrap:wrap;gap:.375rem;list-style:none;padding:0;margin:.25rem 0 0}' +
  '.chips li{margin:0;padding:.125rem .5rem;border-radius:999px;background:var(--code);font-size:.8125rem}' +
  '.foot{margin-top:1.25rem;font-size:.8125rem;color:var(--muted);text-align:center}' +
  'figure{margin:0 0 1rem}figure svg{max-width:12rem;height:auto;background:#fff;padding:.5rem;border-radius:var(--radius)}' +
  'ul,ol{padding-left:1.25rem}li{margin:.25rem 0}' +
  '@media (max-width:30rem){body{padding:1.25rem 0 1rem}main{border-radius:0;border-left:0;border-right:0;padding:1.5rem 1.25rem}.top{margin-bottom:1rem}}'
