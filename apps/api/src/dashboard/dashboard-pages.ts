import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { AuthService } from '../auth/auth.service';
import { sessionToken } from '../auth/session-cookie';
import { loginUrl } from '../auth/sign-in-redirect.filter';

/** Where `npm run build` puts the dashboard (Vite's output): `<repo>/dist/dashboard`, beside `dist/apps`. */
export const DASHBOARD_DIR = resolve(__dirname, '../../../../dashboard');

/** Paths the dashboard never answers: the API, sign-in, connect flows, webhooks, endpoint flows (`/f`), health, operators' pages. */
const SERVER_ROUTES = /^\/(api|auth|connect|webhooks|f|health|admin)(\/|$)/;
/** Pages shown to browsers without a session. */
const PUBLIC_PAGES = new Set(['/login', '/setup']);

/**
 * Serves the dashboard, a single-page app: its built files as they are, and `index.html` for every
 * other GET outside {@link SERVER_ROUTES} (the app routes in the browser). Without a live session
 * those pages redirect to `/login?next=<path>`, except the public ones. Before `npm run build` made
 * the files, pages answer 503 saying so.
 */
export function dashboardPages(auth: AuthService, dir = DASHBOARD_DIR): RequestHandler[] {
  const files = express.static(dir, { index: false, maxAge: '1h' });
  const index = join(dir, 'index.html');
  const ours = (req: Request) => (req.method === 'GET' || req.method === 'HEAD') && !SERVER_ROUTES.test(req.path);

  const assets: RequestHandler = (req, res, next) => (ours(req) ? files(req, res, next) : next());
  const pages = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // A missing file (favicon.png) is a 404, not the app.
    if (!ours(req) || extname(req.path)) return next();
    if (!PUBLIC_PAGES.has(req.path)) {
      const user = await auth.sessionUser(sessionToken(req));
      if (!user) return res.redirect(302, loginUrl(req.originalUrl));
    }
    if (!existsSync(index)) {
      res.status(503).type('text').send('The dashboard is not built: run `npm run build`.');
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  };
  return [assets, (req, res, next) => void pages(req, res, next).catch(next)];
}
