/**
 * @module The built-in authorization server's pages (HTML, every value escaped by hono/html; no script,
 * so the gateway's CSP holds): sign-in with an API key or as a listed user, consent naming the client,
 * where it sends the user back, the account and what each scope lets it do, and the error page of an
 * interaction that is over. Forms post to `action` (the interaction's public path) + `/login`, `/consent`, `/abort`.
 * The pages send their Origin with their forms (referrer policy same-origin, not the gateway's
 * no-referrer, under which Chromium sends `Origin: null`): the gateway refuses form posts from other sites.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Page = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1c1e21;margin:0}
main{max-width:26rem;margin:8vh auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 .5rem}label{display:block;margin:.6rem 0 .2rem}
input{width:100%;box-sizing:border-box;padding:.45rem;border:1px solid #bbb;border-radius:4px;font:inherit}
button{margin-top:.8rem;padding:.45rem 1.1rem;border:0;border-radius:4px;background:#2557d6;color:#fff;font:inherit;cursor:pointer}
button.secondary{background:#e4e6eb;color:#1c1e21}.error{color:#b00020}.muted{color:#666;font-size:.9em}
ul{padding-left:1.2rem}code{background:#f0f0f0;padding:0 .2rem;border-radius:3px}hr{border:0;border-top:1px solid #ddd;margin:1.2rem 0}`;

function layout(title: string, body: Page): Page {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · mcp-registry-server</title><style>${raw(STYLE)}</style></head>
<body><main>${body}</main></body></html>`;
}

/** What the pages say about the client asking. */
export interface ClientView {
  name: string;
  /** The host the user is sent back to. */
  returnsTo: string;
}

export function signInPage(o: { action: string; client: ClientView; users: boolean; error?: string }): Page {
  return layout(
    'Sign in',
    html`<h1>Sign in to this MCP gateway</h1>
<p><b>${o.client.name}</b> asks to use the gateway's MCP servers for you.</p>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<form method="post" action="${o.action}/login"><input type="hidden" name="kind" value="key">
<label for="key">Your API key</label><input id="key" name="key" type="password" autocomplete="off" required>
<button type="submit">Sign in with the key</button></form>
${
  o.users
    ? html`<hr><form method="post" action="${o.action}/login"><input type="hidden" name="kind" value="user">
<label for="user">User</label><input id="user" name="user" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`
    : ''
}
<form method="post" action="${o.action}/abort"><button class="secondary" type="submit">Cancel</button></form>`,
  );
}

/** A scope and what it lets the client do. */
export interface ScopeView {
  scope: string;
  means: string;
}

export function consentPage(o: {
  action: string;
  client: ClientView;
  account: string;
  scopes: ScopeView[];
  resources: string[];
}): Page {
  return layout(
    'Allow access',
    html`<h1>Allow <b>${o.client.name}</b>?</h1>
<p>Signed in as <code>${o.account}</code>. The client will send you back to <b>${o.client.returnsTo}</b>.</p>
<p>It asks to:</p><ul>${o.scopes.map((s) => html`<li><code>${s.scope}</code>: ${s.means}</li>`)}</ul>
<p class="muted">For: ${o.resources.map((r) => html`<code>${r}</code> `)}</p>
<form method="post" action="${o.action}/consent"><button type="submit">Allow</button></form>
<form method="post" action="${o.action}/abort"><button class="secondary" type="submit">Deny</button></form>`,
  );
}

export function interactionErrorPage(message: string): Page {
  return layout(
    'Sign-in ended',
    html`<h1>This sign-in cannot go on</h1><p class="error">${message}</p>
<p>Start again from your MCP client. If it keeps failing, the client may not be one this gateway serves.</p>`,
  );
}
