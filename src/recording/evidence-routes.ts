import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import { verifyExport } from '../../streams/evidence-verify.js';
import type { EvidenceLock, SegmentIndex } from '../../streams/segment-index.js';
import { visibleIncident } from '../api/incidents-routes.js';
import { parse, requireRole, requireUser, route, userOf } from '../api/middleware.js';
import { OPEN_STATES } from '../core/incident-types.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';

const cameraId = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/, 'a camera id (letters, digits, ".", "_", "-")');

const locksQuery = z.strictObject({
  camera: cameraId.optional(),
  incident: z.string().min(1).max(64).optional(),
  token: z.string().optional(),
});
const unlockBody = z.strictObject({ reason: z.string().trim().min(3).max(500) });

export interface EvidenceDeps {
  index: SegmentIndex;
  /** The site's Ed25519 public key: uploads are verified against it, as `sharpeyes verify --data-dir` does. */
  publicKeyPem: string;
  /** Largest zip `POST /api/exports/verify` accepts (streamed to a temp file, never held in memory). */
  maxUploadBytes?: number;
}

const ZIP_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'];
const ZIP_MAGIC = [Buffer.from('PK\x03\x04'), Buffer.from('PK\x05\x06')];
const iso = (ms: number) => new Date(ms).toISOString();

const lockJson = (l: EvidenceLock) => ({
  id: l.id,
  incident: l.incidentId,
  camera: l.camera,
  from: iso(l.startMs),
  to: iso(l.endMs),
  reason: l.reason,
  createdBy: l.createdBy,
  createdAt: l.createdAt,
});

/**
 * Evidence locks (list, remove with a reason) and verification of an uploaded export with the same
 * code as `sharpeyes verify`. Scope goes through `svc.need('access')`: a lock is seen through its
 * camera, else through its incident; a lock of every camera without an incident only by an admin.
 */
export function evidenceRoutes(svc: Service, d: EvidenceDeps): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const access = svc.need('access');
  const audit = svc.need('audit');
  const maxUpload = d.maxUploadBytes ?? 2 * 1024 ** 3;

  const canSeeLock = async (user: User, l: EvidenceLock): Promise<boolean> => {
    if (l.camera) return access.canSeeCamera(user, l.camera);
    if (l.incidentId) {
      const inc = await svc.need('store').incidents.get(l.incidentId);
      return inc !== undefined && inc !== null && access.canSeeIncident(user, inc);
    }
    return user.role === 'admin';
  };

  r.get(
    '/api/evidence-locks',
    auth,
    requireRole('investigator', 'supervisor', 'admin'),
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(locksQuery, req.query, 'query');
      if (q.camera && !access.canSeeCamera(user, q.camera))
        throw new HttpError(404, 'not_found', `camera ${q.camera} does not exist`);
      if (q.incident) await visibleIncident(svc, user, q.incident);
      const out: EvidenceLock[] = [];
      for (const l of await d.index.locks(q.incident ? { incidentId: q.incident } : {})) {
        if (q.camera && l.camera !== null && l.camera !== q.camera) continue;
        if (await canSeeLock(user, l)) out.push(l);
      }
      res.json({ locks: out.map(lockJson) });
    }),
  );

  r.delete(
    '/api/evidence-locks/:id',
    auth,
    requireRole('supervisor', 'admin'),
    route(async (req, res) => {
      const user = userOf(req);
      const id = String(req.params['id']);
      const lock = await d.index.lockById(id);
      if (!lock || !(await canSeeLock(user, lock)))
        throw new HttpError(404, 'not_found', `evidence lock ${id} does not exist`);
      const b = parse(unlockBody, req.body ?? {});
      if (lock.incidentId) {
        const inc = await svc.need('store').incidents.get(lock.incidentId);
        if (inc && OPEN_STATES.includes(inc.state))
          throw new HttpError(
            409,
            'incident_open',
            `evidence lock ${id} belongs to incident ${inc.id}, which is still ${inc.state}`,
            { incident: inc.id, state: inc.state },
          );
      }
      // Removed from two desks at once (or two nodes): the one whose delete found it says so; the
      // other is told it is gone, and the audit log has one removal.
      if (!(await d.index.unlock(id)))
        throw new HttpError(404, 'not_found', `evidence lock ${id} does not exist`);
      await audit.append({
        actor: user.username,
        action: 'evidence.unlock',
        target: `lock:${id}`,
        detail: { reason: b.reason, lock: lockJson(lock) },
      });
      res.json({ id, removed: true });
    }),
  );

  /** The zip is the raw body: streamed to a temp file (size-capped and hashed on the way), then checked. */
  r.post(
    '/api/exports/verify',
    auth,
    // Issue 15: verifying evidence is investigators' work (and their supervisors' and admins').
    requireRole('investigator', 'supervisor', 'admin'),
    route(async (req, res) => {
      const user = userOf(req);
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!ZIP_TYPES.includes(type))
        throw new HttpError(
          400,
          'not_zip',
          `send the export as the body with Content-Type application/zip, not "${type}"`,
        );
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxUpload)
        throw new HttpError(413, 'too_large', `an export to verify may be at most ${maxUpload} bytes`);
      const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-verify-'));
      try {
        const file = join(dir, 'upload.zip');
        const hash = createHash('sha256');
        let bytes = 0;
        let head = Buffer.alloc(0);
        const tap = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            bytes += chunk.length;
            if (bytes > maxUpload)
              return cb(
                new HttpError(413, 'too_large', `an export to verify may be at most ${maxUpload} bytes`),
              );
            if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
            hash.update(chunk);
            cb(null, chunk);
          },
        });
        await pipeline(req, tap, createWriteStream(file));
        if (!ZIP_MAGIC.some((m) => m.equals(head)))
          throw new HttpError(400, 'not_zip', `the body (${bytes} bytes) is not a zip archive`);
        // Capped (entries, control-file sizes, inflated total, compression ratio) and streamed: a
        // small zip declaring gigabytes is refused from its directory, before anything is inflated.
        const v = await verifyExport(file, { publicKeyPem: d.publicKeyPem, displayName: 'the upload' });
        const sha256 = hash.digest('hex');
        // A camera of this city outside the user's subtree; a camera we do not know (an export from
        // elsewhere, which the site key will not verify anyway) is not a scope question.
        const outside = (v.covers?.cameras ?? []).filter(
          (c) => svc.need('dir').camera(c) && !access.canSeeCamera(user, c),
        );
        await audit.append({
          actor: user.username,
          // A refusal (a bomb, or cameras out of scope) is its own action; the 403 is also access.denied.
          action: v.refused || outside.length > 0 ? 'evidence.verify.refused' : 'evidence.verify',
          target: `upload:${sha256}`,
          detail: {
            bytes,
            ok: v.ok,
            signature: v.signature,
            problems: v.problems.length,
            ...(v.refused
              ? { refused: v.refused.code }
              : outside.length > 0
                ? { refused: 'out_of_scope' }
                : {}),
            ...(outside.length > 0 ? { outOfScope: outside } : {}),
          },
        });
        if (v.refused)
          throw new HttpError(422, v.refused.code, `the archive was refused: ${v.refused.message}`);
        if (outside.length > 0)
          throw new HttpError(
            403,
            'out_of_scope',
            `this export is of cameras outside your jurisdiction (${outside.slice(0, 5).join(', ')})`,
          );
        res.json({ ok: v.ok, signature: v.signature, files: v.files, problems: v.problems });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
  return r;
}
