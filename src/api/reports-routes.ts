import type { Request, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { rulesText, rulesView } from '../ratings/rating-rules.js';
import type { RatingService } from '../ratings/rating-service.js';
import { MONTH_PATTERN, monthOf } from '../reports/local-time.js';
import { monthlyReport, nodeFigures, type ReportDeps, stationsUnder } from '../reports/monthly-report.js';
import { monthlyCsv } from '../reports/report-csv.js';
import type { ReportPdf } from '../reports/report-pdf.js';
import type { ReportProgress } from '../reports/report-runner.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { parse, requireRole, requireUser, route, userOf } from './middleware.js';
import { visibleSites } from './sites-routes.js';
import { sendSliced } from './sliced-json.js';

const DAY_MS = 86_400_000;
const month = z.string().regex(MONTH_PATTERN, 'a month as YYYY-MM');
const nodeId = z.string().min(1).max(64);

const monthlyQuery = z.strictObject({
  node: nodeId.optional(),
  month,
  format: z.enum(['json', 'csv', 'pdf']).default('json'),
  lang: z.enum(['zh', 'en']).default('zh'),
});

const figuresQuery = z
  .strictObject({
    node: nodeId.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
  });

const ratingsQuery = z.strictObject({ month: month.optional(), node: nodeId.optional() });
const historyQuery = z.strictObject({ months: z.coerce.number().int().min(1).max(36).default(12) });

export interface ReportRouteDeps {
  report: ReportDeps;
  ratings: RatingService;
  pdf: ReportPdf;
}

/** The node a report is about: the user's own scope by default; another one only inside it. */
function nodeFor(svc: Service, user: User, node: string | undefined): string {
  const id = node ?? user.scope;
  if (!svc.need('dir').tree.has(id) || !svc.need('access').canSeeJurisdiction(user, id))
    throw new HttpError(404, 'not_found', `jurisdiction ${id} does not exist`);
  return id;
}

/**
 * Streams progress as NDJSON when the client asks for it (`Accept: application/x-ndjson`): one
 * `{progress}` line per step and the answer as the last `{result}` (or `{error}`) line, so a long
 * report shows how far it got. Other clients get the plain answer.
 */
async function answer<T>(
  log: Service['log'],
  req: Request,
  res: Response,
  work: (onProgress?: (p: ReportProgress) => void) => Promise<T>,
): Promise<void> {
  if (!req.get('accept')?.includes('application/x-ndjson')) {
    res.json(await work());
    return;
  }
  res.status(200).type('application/x-ndjson');
  res.write(`${JSON.stringify({ progress: { done: 0, total: 1, step: 'start' } })}\n`);
  try {
    const result = await work((p) => res.write(`${JSON.stringify({ progress: p })}\n`));
    res.end(`${JSON.stringify({ result })}\n`);
  } catch (err) {
    // Headers are gone: the failure is the stream's last line, as a 4xx/5xx body would say it.
    const e =
      err instanceof HttpError ? { code: err.code, message: err.message.replace(/^http: /, '') } : undefined;
    if (!e) log.error({ err }, 'reports: streamed report failed');
    res.end(`${JSON.stringify({ error: e ?? { code: 'internal', message: 'the report failed' } })}\n`);
  }
}

/**
 * Supervisors' figures (issue 19): the monthly report of a node as JSON, CSV or PDF, figures for any
 * period, site ratings with their history. Scoped to the user's subtree; computed by the report
 * worker (SQLite) or the pool (PostgreSQL), never on the alarm path's connection.
 */
export function reportRoutes(svc: Service, deps: ReportRouteDeps): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const staff = requireRole('admin', 'supervisor', 'operator');
  const access = svc.need('access');
  const tz = deps.report.timezone;

  r.get(
    '/api/reports/monthly',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(monthlyQuery, req.query, 'query');
      const node = nodeFor(svc, user, q.node);
      if (q.month > monthOf(Date.now(), tz)) {
        const message = `query.month: ${q.month} has not begun yet`;
        // As a detail, so that the console says which input is wrong and why (month_not_begun).
        const details = [
          { in: 'query', field: 'month', issue: 'custom', reason: 'month_not_begun', message },
        ];
        throw new HttpError(400, 'bad_request', message, { details });
      }
      if (q.format === 'json')
        return answer(svc.log, req, res, (p) => monthlyReport(deps.report, { node, month: q.month }, p));
      const report = await monthlyReport(deps.report, { node, month: q.month });
      const name = `sharpeyes-${node}-${q.month}`;
      if (q.format === 'csv') {
        res.type('text/csv; charset=utf-8');
        res.setHeader('content-disposition', `attachment; filename="${name}.csv"`);
        return res.send(monthlyCsv(report));
      }
      const pdf = await deps.pdf.render(report, q.lang);
      await svc
        .need('audit')
        .append({ actor: user.username, action: 'report.pdf', target: `${node}/${q.month}` });
      res.type('application/pdf');
      res.setHeader('content-disposition', `attachment; filename="${name}.pdf"`);
      res.send(pdf);
    }),
  );

  r.get(
    '/api/reports/figures',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(figuresQuery, req.query, 'query');
      const node = nodeFor(svc, user, q.node);
      const to = q.to ? Date.parse(q.to) : Date.now();
      const from = q.from ? Date.parse(q.from) : to - 30 * DAY_MS;
      if (to - from > 400 * DAY_MS)
        throw new HttpError(400, 'bad_request', 'query: the range may span at most 400 days');
      return answer(svc.log, req, res, (p) => nodeFigures(deps.report, { node, from, to }, p));
    }),
  );

  // The issue-4 shape (per station and per unit, p50/p90 in seconds), now from the same SQL figures.
  r.get(
    '/api/reports/response-times',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(figuresQuery, req.query, 'query');
      const node = nodeFor(svc, user, undefined);
      const to = q.to ? Date.parse(q.to) : Date.now();
      const from = q.from ? Date.parse(q.from) : to - 30 * DAY_MS;
      if (to - from > 400 * DAY_MS)
        throw new HttpError(400, 'bad_request', 'query: the range may span at most 400 days');
      const stations = stationsUnder(svc.need('dir'), node);
      const f = await nodeFigures(deps.report, { node, from, to, groups: stations });
      res.json({
        from: f.from,
        to: f.to,
        unit: 'seconds',
        stations: f.children.map((c) => ({
          station: c.id,
          name: c.name,
          incidents: c.counts.alarms,
          falseAlarms: c.counts.falseAlarms,
          acknowledge: c.response.acknowledge,
          arrival: c.response.arrive,
        })),
        units: f.units,
      });
    }),
  );

  r.get(
    '/api/reports/ratings',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(ratingsQuery, req.query, 'query');
      const under = q.node ? new Set(svc.need('dir').tree.subtree(nodeFor(svc, user, q.node))) : undefined;
      const sites = visibleSites(svc, user).filter((s) => !under || under.has(s.jurisdiction));
      const got = await deps.ratings.forSites(
        sites.map((s) => s.id),
        q.month,
      );
      // A district's thousands of sites: built and sent a slice at a time (sendSliced).
      await sendSliced(
        res,
        {
          month: got.month,
          final: got.final,
          rule: rulesText(deps.ratings.config),
          rules: rulesView(deps.ratings.config),
        },
        'sites',
        sites,
        (s) => {
          const rating = got.ratings.get(s.id);
          return rating ? { id: s.id, name: s.name, ...rating } : undefined;
        },
      );
    }),
  );

  // The shop owner's page shows their own site's months; staff see the sites of their subtree.
  r.get(
    '/api/ratings/sites/:id',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      const id = String(req.params['id']);
      if (!svc.need('dir').site(id) || !access.canSeeSite(user, id))
        throw new HttpError(404, 'not_found', `site ${id} does not exist`);
      const q = parse(historyQuery, req.query, 'query');
      res.json({
        site: id,
        rule: rulesText(deps.ratings.config),
        months: await deps.ratings.history(id, q.months),
      });
    }),
  );
  return r;
}
