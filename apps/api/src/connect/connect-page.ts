import type { Request, Response } from 'express';
import { sessionToken } from '../auth/session-cookie';

/** Text made safe for HTML element content and attribute values. */
export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A minimal HTML page for the browser that went through an install (`/connect/*`), text escaped. */
export const connectPage = (title: string, message: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;

/**
 * Answers a successful connect callback: a browser with a dashboard session goes back to the
 * dashboard's connections page (`/connections?connected=<provider>`, plus `&requested=1` when an owner
 * of the account still has to approve); others get the plain page with `message`.
 */
export function connected(req: Request, res: Response, provider: string, message: string, requested = false): void {
  if (sessionToken(req)) {
    res.redirect(302, `/connections?connected=${provider}${requested ? '&requested=1' : ''}`);
    return;
  }
  res.status(200).type('html').send(connectPage('Connected', message));
}

/**
 * The page that creates the GitHub App: a form posting the manifest JSON (field `manifest`) to GitHub's
 * new-App page, sent by itself and by its button.
 */
export const manifestPage = (action: string, manifest: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Create the GitHub App</title></head><body>` +
  `<h1>Create the GitHub App</h1><p>GitHub will ask you to confirm the name of the App; it then comes back here.</p>` +
  `<form id="manifest" method="post" action="${escapeHtml(action)}"><input type="hidden" name="manifest" value="${escapeHtml(manifest)}">` +
  `<button type="submit">Create on GitHub</button></form>` +
  `<script>document.getElementById('manifest').submit();</script></body></html>`;
