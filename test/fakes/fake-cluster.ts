/**
 * FakeCluster: the one fake Kubernetes API server of the unit tests. It implements `KubeClient`
 * (src/kube/client.ts) in memory, and can also serve the same handler over HTTP on 127.0.0.1 for code
 * that builds its own clients from a stored kubeconfig (registration's verification, status's
 * ClientConfig check); those requests then go through the real client, its auth and its error path.
 *
 * What it models, as the real kube-apiserver answers it:
 * - `/version`, discovery (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) for the built-in kinds
 *   below and the kinds of every CustomResourceDefinition applied to it (Established at once).
 * - GET of one object; LIST (all namespaces or one) with label selectors (`k`, `!k`, `k=v`, `k==v`,
 *   `k!=v`), field selectors `metadata.name` and `metadata.namespace` (= and !=; others are a 400),
 *   `limit`/`continue`, and metadata-only lists when `accept` asks for PartialObjectMetadataList.
 *   Items of built-in kinds carry no apiVersion/kind in a list, as on the wire.
 * - Server-side apply (PATCH `application/apply-patch+yaml`, `fieldManager`, `force`, `dryRun=All`):
 *   per-manager field ownership (leaf fields; lists are atomic), a 409 naming the other manager when
 *   it owns a field whose value the apply changes (no conflict for an equal value: shared ownership),
 *   fields a manager stops applying are removed, managedFields with manager/operation/time, a
 *   resourceVersion bump only when content or ownership changes, generation bumped on spec changes.
 *   A namespaced object needs its Namespace (404 otherwise); `status` in an apply is ignored.
 * - JSON patch (`application/json-patch+json`: add, replace, remove, test), refused with 409 when the
 *   patch sets a resourceVersion that is not the stored one.
 * - DELETE with DeleteOptions in the body (preconditions uid and resourceVersion, dryRun All);
 *   deleting a Namespace deletes what is in it, deleting a CRD deletes its objects and kinds.
 * - TokenRequest (POST .../serviceaccounts/<name>/token): a JWT-shaped token with iat/exp/sub, lifetime
 *   capped by `maxTokenSeconds` (as --service-account-max-token-expiration), valid over HTTP until it
 *   expires or its service account is deleted; the token controller's part for a new
 *   `kubernetes.io/service-account-token` Secret (a token without expiry in `data.token`).
 * - Authorization of every resource request, SelfSubjectAccessReview and SelfSubjectRulesReview: the
 *   in-memory client's user has the configured `rules` (default: everything); a service account's
 *   rules come from the Roles, ClusterRoles and bindings the fake holds (RBAC, resourceNames included).
 * - Errors as `Status` objects; the in-memory client turns them into `ApiError` as client.ts does.
 * - Every Namespace gets the ConfigMap kube-root-ca.crt, as the root CA publisher does.
 *
 * What it does not model: watches, POST create and PUT, strategic merge and merge patch (415),
 * admission and schema validation (no defaults, any field is accepted), finalizers and graceful
 * deletion, owner-reference garbage collection, controllers (Deployments never become available unless
 * a test says so with `setStatus`), list-map merge keys in server-side apply, subresources other than
 * `serviceaccounts/token`, aggregated discovery, TLS. The in-memory client neither retries nor times out
 * (client.ts's retries are tested on their own); `failWith` answers what a test needs to fail.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type KubeClient, type KubeRequest } from '../../src/kube/client.js';
import type { ResolvedContext } from '../../src/kube/kubeconfig.js';
import type { KubeObject } from '../../src/model/object.js';

export interface Rule { verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames?: string[] }
export const ALL: Rule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];

export interface FakeClusterOptions {
  /** The context name of its clients (default `fake`). */
  name?: string;
  gitVersion?: string;
  /** What the in-memory client's user may do (default: everything). */
  rules?: Rule[];
  /** The longest token lifetime TokenRequest grants (default one year). */
  maxTokenSeconds?: number;
  /** The fake's clock, ms since epoch (token expiry, managedFields times). */
  now?: () => number;
  /** Milliseconds an in-memory request takes, per request (default 0). */
  latency?: (req: KubeRequest) => number;
}

/** One request the fake answered, with its start and end in one sequence shared by all requests. */
export interface LoggedRequest { method: string; path: string; query: Record<string, string>; contentType?: string; user: string; code: number; start: number; end: number }

interface Kind { group: string; version: string; kind: string; plural: string; namespaced: boolean; builtIn: boolean; crd?: string }
interface Identity { user: string; rules?: Rule[] }
interface Answer { code: number; body: any }
interface Req { method: string; path: string; query: Record<string, string>; body: unknown; contentType?: string; accept?: string }
interface Owner { manager: string; operation: 'Apply' | 'Update'; apiVersion: string; time: string; subresource?: string; fields: Set<string> }
interface Token { namespace: string; name: string; uid: string; exp: number }

// The built-in API the fake serves (part of a real server's), as discovery lists it: `Kind=plural`,
// cluster-scoped kinds marked `^`. Written apart from src/kube/resources.ts on purpose: the fake is
// what that code is checked against, so it must not share its list.
const SERVED: Record<string, string> = {
  v1: '^Namespace=namespaces ^Node=nodes Pod=pods Secret=secrets ConfigMap=configmaps Service=services ServiceAccount=serviceaccounts '
    + 'Endpoints=endpoints Event=events PersistentVolumeClaim=persistentvolumeclaims',
  'apps/v1': 'Deployment=deployments StatefulSet=statefulsets DaemonSet=daemonsets ReplicaSet=replicasets',
  'rbac.authorization.k8s.io/v1': 'Role=roles RoleBinding=rolebindings ^ClusterRole=clusterroles ^ClusterRoleBinding=clusterrolebindings',
  'apiextensions.k8s.io/v1': '^CustomResourceDefinition=customresourcedefinitions',
  'admissionregistration.k8s.io/v1': '^ValidatingWebhookConfiguration=validatingwebhookconfigurations ^MutatingWebhookConfiguration=mutatingwebhookconfigurations',
  'coordination.k8s.io/v1': 'Lease=leases',
};
/** Metadata the server owns: never part of a manager's fields. */
const SERVER_META = new Set(['name', 'namespace', 'resourceVersion', 'uid', 'managedFields', 'creationTimestamp', 'generation']);

const splitGv = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion] as [string, string]);
const gvOf = (k: Pick<Kind, 'group' | 'version'>) => (k.group ? `${k.group}/${k.version}` : k.version);
const resourceName = (k: Kind) => (k.group ? `${k.plural}.${k.group}` : k.plural);
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const isMap = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Status answer, as the API server writes it. */
function failure(code: number, reason: string, message: string): Answer {
  return { code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } };
}
const notFound = (k: Kind, name: string) => failure(404, 'NotFound', `${resourceName(k)} "${name}" not found`);
const NO_RESOURCE = failure(404, 'NotFound', 'the server could not find the requested resource');

/** Leaf paths of an object (as JSON arrays of keys); lists and empty maps are leaves. */
function leaves(v: unknown, at: string[] = [], out = new Set<string>()): Set<string> {
  if (isMap(v) && Object.keys(v).length) for (const [k, x] of Object.entries(v)) leaves(x, [...at, k], out);
  else if (at.length) out.add(JSON.stringify(at));
  return out;
}
const valueAt = (o: unknown, path: string) => (JSON.parse(path) as string[]).reduce<any>((x, k) => (isMap(x) ? x[k] : undefined), o);
function removeAt(o: Record<string, any>, path: string): void {
  const keys = JSON.parse(path) as string[];
  const last = keys.pop()!;
  const parent = keys.reduce<any>((x, k) => (isMap(x) ? x[k] : undefined), o);
  if (isMap(parent)) delete parent[last];
}
/** Deep merge of maps; lists and scalars of `patch` replace. */
function merge(base: Record<string, any>, patch: Record<string, any>): Record<string, any> {
  for (const [k, v] of Object.entries(patch)) base[k] = isMap(v) && isMap(base[k]) ? merge(base[k], v) : clone(v);
  return base;
}
/** The fields a manager sets: everything but identity, server-owned metadata and status. */
function ownedFields(obj: Record<string, any>): Set<string> {
  const { apiVersion: _a, kind: _k, status: _s, metadata, ...rest } = obj;
  const meta = Object.fromEntries(Object.entries(metadata ?? {}).filter(([k]) => !SERVER_META.has(k)));
  return leaves({ ...rest, ...(Object.keys(meta).length ? { metadata: meta } : {}) });
}
/** managedFields' fieldsV1 ("f:spec": {"f:replicas": {}}) of a set of leaf paths. */
function fieldsV1(fields: Set<string>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const f of fields) (JSON.parse(f) as string[]).reduce((o, k) => (o[`f:${k}`] ??= {}), out);
  return out;
}
const managedFieldsOf = (owners: Owner[]) => owners.map((m) => ({ manager: m.manager, operation: m.operation, apiVersion: m.apiVersion, time: m.time,
  fieldsType: 'FieldsV1', fieldsV1: fieldsV1(m.fields), ...(m.subresource ? { subresource: m.subresource } : {}) }));
/** The same managers owning the same fields (write times aside). */
const sameOwners = (a: Owner[], b: Owner[]) => a.length === b.length && a.every((x) => b.some((y) => x.manager === y.manager
  && x.operation === y.operation && x.subresource === y.subresource && x.fields.size === y.fields.size && [...x.fields].every((f) => y.fields.has(f))));
const jsonPointer = (p: string) => p.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function ruleAllows(r: Rule, a: { verb: string; group: string; resource: string; name?: string }): boolean {
  const base = a.resource.split('/')[0];
  return (r.verbs.includes('*') || r.verbs.includes(a.verb))
    && (r.apiGroups.includes('*') || r.apiGroups.includes(a.group))
    && (r.resources.includes('*') || r.resources.includes(a.resource) || (a.resource.includes('/') && r.resources.includes(`${base}/*`)))
    && (!r.resourceNames?.length || (a.name !== undefined && r.resourceNames.includes(a.name)));
}

function parseSelector(sel: string): ((labels: Record<string, string>) => boolean)[] {
  return sel.split(',').map((s) => s.trim()).filter(Boolean).map((term) => {
    const m = /^(!?)([^!=]+?)\s*(?:(==|=|!=)\s*(.*))?$/.exec(term);
    if (!m) throw new Error(term);
    const [, not, key, op, value] = m as unknown as [string, string, string, string | undefined, string | undefined];
    if (not) return (l) => !(key in l);
    if (!op) return (l) => key in l;
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  });
}

export class FakeCluster {
  readonly name: string;
  readonly adminToken = `admin-${randomBytes(8).toString('hex')}`;
  /** Every request answered, in order (in-memory and HTTP). */
  readonly log: LoggedRequest[] = [];
  private kinds: Kind[];
  private store = new Map<string, KubeObject>();
  private owners = new Map<string, Owner[]>();
  /** managedFields as rendered, per object (rendering large CRDs' field sets on every read is slow). */
  private managedFields = new Map<string, unknown[]>();
  private tokens = new Map<string, Token>();
  private reactors: ((r: Req) => Answer | undefined)[] = [];
  private rv = 1000;
  private seq = 0;
  private server?: http.Server;
  private url?: string;

  constructor(private opts: FakeClusterOptions = {}) {
    this.name = opts.name ?? 'fake';
    this.kinds = Object.entries(SERVED).flatMap(([gv, list]) => list.split(' ').map((entry) => {
      const [group, version] = splitGv(gv);
      const [kind, plural] = entry.replace('^', '').split('=') as [string, string];
      return { group, version, kind, plural, namespaced: !entry.startsWith('^'), builtIn: true };
    }));
    for (const ns of ['default', 'kube-system', 'kube-public']) this.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }

  private now() { return this.opts.now?.() ?? Date.now(); }
  private time() { return new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z'); }

  // ---- test-side helpers ------------------------------------------------------------------

  /** An in-memory client; `as` a service account (`namespace/name`) is authorized by the RBAC objects held. */
  client(opts: { as?: string; rules?: Rule[]; signal?: AbortSignal } = {}): KubeClient {
    const identity: Identity = opts.as ? { user: `system:serviceaccount:${opts.as.replace('/', ':')}` } : { user: 'admin', rules: opts.rules ?? this.opts.rules ?? ALL };
    const fake = this;
    const c: KubeClient & { requestCount: number } = {
      context: this.name, server: this.url ?? `https://${this.name}.fake.invalid`, requestCount: 0, signal: opts.signal,
      detached: () => fake.client({ ...opts, signal: undefined }),
      async request<T>(req: KubeRequest): Promise<T> {
        c.requestCount++;
        opts.signal?.throwIfAborted();
        const query = Object.fromEntries(Object.entries(req.query ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
        const r: Req = { method: req.method ?? 'GET', path: req.path, query, body: clone(req.body), contentType: req.contentType, accept: req.accept };
        const start = ++fake.seq;
        await sleep(fake.opts.latency?.(req) ?? 0);
        const a = fake.answer(r, identity, start);
        if (a.code >= 200 && a.code < 300) return clone(a.body) as T;
        // As client.ts's apiError: the Status's reason (else the code) and the first line of its message.
        throw new ApiError(a.code, a.body.reason || String(a.code), String(a.body.message || `HTTP ${a.code}`).split('\n')[0]!, fake.name);
      },
    };
    return c;
  }

  /** The context and client a step gets (`Cluster` of src/steps/connect.ts); its server is the HTTP address once served. */
  cluster(opts: { as?: string; rules?: Rule[]; signal?: AbortSignal } = {}): { ctx: ResolvedContext; client: KubeClient } {
    const server = this.url ?? `https://${this.name}.fake.invalid`;
    const ctx: ResolvedContext = { name: this.name, clusterName: this.name, server, kubeconfig: {
      apiVersion: 'v1', kind: 'Config', 'current-context': this.name,
      clusters: [{ name: this.name, cluster: { server } }], users: [{ name: 'admin', user: { token: this.adminToken } }],
      contexts: [{ name: this.name, context: { cluster: this.name, user: 'admin' } }] } };
    return { ctx, client: this.client(opts) };
  }

  /** Serves the fake over HTTP on 127.0.0.1; bearer tokens: `adminToken`, or one TokenRequest minted. */
  async serve(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const text = Buffer.concat(chunks).toString('utf8');
        const start = ++this.seq;
        const r: Req = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body: undefined,
          contentType: req.headers['content-type'], accept: req.headers.accept };
        let a: Answer;
        try {
          r.body = text ? JSON.parse(text) : undefined;
          a = this.answer(r, this.authenticate(req.headers.authorization) ?? { user: 'system:anonymous', rules: [] }, start);
        } catch {
          a = failure(400, 'BadRequest', 'the body of the request is not JSON');
        }
        res.writeHead(a.code, { 'Content-Type': 'application/json' }).end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
    this.server = undefined;
  }

  /** Puts objects in place as another manager would (server-side apply, forced), bypassing authorization; `status` is ignored (use setStatus). */
  seed(...objs: KubeObject[]): void {
    for (const o of objs) {
      const a = this.handle({ method: 'PATCH', path: this.pathOf(o), query: { fieldManager: 'test-seed', force: 'true' }, body: clone(o),
        contentType: 'application/apply-patch+yaml' }, { user: 'seed', rules: ALL });
      if (a.code >= 300) throw new Error(`seed ${o.kind}/${o.metadata.name}: ${a.body.message}`);
    }
  }

  /** Another client's edit (an Update, as kubectl edit): takes over the fields it changes, no conflict. */
  edit(ref: { apiVersion: string; kind: string; namespace?: string; name: string }, fn: (o: KubeObject) => void, manager = 'kubectl-edit'): KubeObject {
    const { key, kind } = this.locate(ref);
    const cur = this.store.get(key);
    if (!cur) throw new Error(`edit: ${ref.kind}/${ref.name} does not exist`);
    const next = clone(cur);
    fn(next);
    return this.update(key, kind, cur, next, manager, undefined).body;
  }

  /** A controller's status write (subresource status: never a conflict, ignored by upToDate). */
  setStatus(ref: { apiVersion: string; kind: string; namespace?: string; name: string }, status: unknown, manager = 'fake-controller'): KubeObject {
    const { key, kind } = this.locate(ref);
    const cur = this.store.get(key);
    if (!cur) throw new Error(`setStatus: ${ref.kind}/${ref.name} does not exist`);
    return this.update(key, kind, cur, { ...clone(cur), status: clone(status) }, manager, 'status').body;
  }

  get(ref: { apiVersion: string; kind: string; namespace?: string; name: string }): KubeObject | undefined {
    const o = this.store.get(this.locate(ref).key);
    return o && this.render(this.locate(ref).key, o);
  }

  /** Every object of a kind (all namespaces), sorted by namespace and name. */
  list(apiVersion: string, kind: string): KubeObject[] {
    const k = this.kinds.find((x) => gvOf(x) === apiVersion && x.kind === kind);
    if (!k) return [];
    return this.entries(k).map(([key, o]) => this.render(key, o));
  }

  /** Answers the requests `when` selects with a failure (`times` of them, default all): a 403, a 500, ... */
  failWith(when: (r: { method: string; path: string; query: Record<string, string> }) => boolean, code: number, reason: string, message: string, times = Infinity): void {
    let left = times;
    this.reactors.push((r) => (left > 0 && when(r) ? (left--, failure(code, reason, message)) : undefined));
  }

  // ---- the server -----------------------------------------------------------------------------

  private authenticate(header: string | undefined): Identity | undefined {
    const token = header?.replace(/^Bearer /, '');
    if (token === this.adminToken) return { user: 'admin', rules: this.opts.rules ?? ALL };
    const t = token ? this.tokens.get(token) : undefined;
    if (!t || t.exp * 1000 <= this.now()) return undefined;
    const sa = this.store.get(this.key(this.kindOf('v1', 'ServiceAccount'), t.namespace, t.name));
    return sa?.metadata.uid === t.uid ? { user: `system:serviceaccount:${t.namespace}:${t.name}` } : undefined;
  }

  private answer(r: Req, identity: Identity, start: number): Answer {
    let a: Answer;
    try {
      a = identity.user === 'system:anonymous' ? failure(401, 'Unauthorized', 'Unauthorized')
        : this.reactors.reduce<Answer | undefined>((x, f) => x ?? f(r), undefined) ?? this.handle(r, identity);
    } catch (e) {
      a = failure(500, 'InternalError', `fake: ${(e as Error).message}`);
    }
    this.log.push({ method: r.method, path: r.path, query: r.query, contentType: r.contentType, user: identity.user, code: a.code, start, end: ++this.seq });
    return a;
  }

  private handle(r: Req, id: Identity): Answer {
    if (r.path === '/version') return { code: 200, body: { major: '1', minor: '34', gitVersion: this.opts.gitVersion ?? 'v1.34.4', platform: 'linux/amd64' } };
    if (r.path === '/api') return { code: 200, body: { kind: 'APIVersions', versions: ['v1'] } };
    if (r.path === '/apis') return { code: 200, body: this.groupList() };
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/(.*))?$/.exec(r.path);
    if (!m) return NO_RESOURCE;
    const [group, version] = m[1] ? ['', m[1]] : [m[2]!, m[3]!];
    const segs = (m[4] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
    if (!segs.length) return r.method === 'GET' ? this.resourceList(group, version) : NO_RESOURCE;
    if (group === 'authorization.k8s.io' && r.method === 'POST') return this.review(segs[0]!, r.body as any, id);
    let ns: string | undefined;
    if (segs[0] === 'namespaces' && segs.length >= 3) { ns = segs[1]; segs.splice(0, 2); }
    const [plural, name, sub] = segs as [string, string | undefined, string | undefined];
    const kind = this.kinds.find((k) => k.group === group && k.version === version && k.plural === plural);
    if (!kind || (ns !== undefined && !kind.namespaced) || (name && kind.namespaced && ns === undefined)) return NO_RESOURCE;
    if (sub) {
      if (kind.kind === 'ServiceAccount' && sub === 'token' && r.method === 'POST') return this.tokenRequest(kind, ns!, name!, r.body as any, id);
      return NO_RESOURCE;
    }
    const verb = r.method === 'GET' ? (name ? 'get' : 'list') : r.method === 'PATCH' ? 'patch' : r.method === 'DELETE' ? 'delete' : '';
    if (!verb || (!name && r.method !== 'GET')) return failure(405, 'MethodNotAllowed', `the fake does not model ${r.method} ${r.path}`);
    const denied = this.authorize(id, verb, kind, ns, name);
    if (denied) return denied;
    if (!name) return this.listObjects(kind, ns, r);
    const key = this.key(kind, ns, name);
    if (r.method === 'GET') return this.store.has(key) ? { code: 200, body: this.render(key, this.store.get(key)!) } : notFound(kind, name);
    if (r.method === 'DELETE') return this.remove(kind, key, name, r.body as any);
    if (r.contentType === 'application/apply-patch+yaml') return this.apply(kind, ns, name, r, id);
    if (r.contentType === 'application/json-patch+json') return this.jsonPatch(kind, key, name, r);
    return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/apply-patch+yaml`);
  }

  private rulesOf(id: Identity, ns: string | undefined): Rule[] {
    if (id.rules) return id.rules;
    const [, , saNs, saName] = id.user.split(':');
    const bound = (b: KubeObject) => (b.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === saName && s.namespace === saNs);
    const roleRules = (b: KubeObject, bindingNs?: string) => {
      const role = b.roleRef.kind === 'ClusterRole' ? this.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: b.roleRef.name })
        : this.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace: bindingNs, name: b.roleRef.name });
      return (role?.rules ?? []) as Rule[];
    };
    return [
      ...this.list('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding').filter(bound).flatMap((b) => roleRules(b)),
      ...(ns ? this.list('rbac.authorization.k8s.io/v1', 'RoleBinding').filter((b) => b.metadata.namespace === ns && bound(b)).flatMap((b) => roleRules(b, ns)) : []),
    ];
  }

  private allowed(id: Identity, a: { verb: string; group: string; resource: string; namespace?: string; name?: string }): boolean {
    return this.rulesOf(id, a.namespace).some((r) => ruleAllows(r, a));
  }

  private authorize(id: Identity, verb: string, kind: Kind, ns: string | undefined, name: string | undefined, resource = kind.plural): Answer | undefined {
    if (this.allowed(id, { verb, group: kind.group, resource, namespace: ns, name })) return undefined;
    const what = name ? `${resourceName(kind)} "${name}"` : resourceName(kind);
    const where = ns ? `in the namespace "${ns}"` : 'at the cluster scope';
    return failure(403, 'Forbidden', `${what} is forbidden: User "${id.user}" cannot ${verb} resource "${resource}" in API group "${kind.group}" ${where}`);
  }

  private review(resource: string, body: any, id: Identity): Answer {
    if (resource === 'selfsubjectaccessreviews') {
      const a = body?.spec?.resourceAttributes ?? {};
      const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
      const allowed = this.allowed(id, { verb: a.verb, group: a.group ?? '', resource: res, namespace: a.namespace, name: a.name });
      return { code: 201, body: { ...body, status: { allowed, ...(allowed ? { reason: 'allowed by the fake\'s rules' } : {}) } } };
    }
    if (resource === 'selfsubjectrulesreviews') {
      return { code: 201, body: { ...body, status: { resourceRules: clone(this.rulesOf(id, body?.spec?.namespace)), nonResourceRules: [], incomplete: false } } };
    }
    return NO_RESOURCE;
  }

  /**
   * The token controller: a new `kubernetes.io/service-account-token` Secret of an existing service
   * account gets a token in `data.token` that never expires (the legacy format: no exp, the Secret's name).
   */
  private fillToken(secret: KubeObject): void {
    const ns = secret.metadata.namespace!;
    const name = secret.metadata.annotations?.['kubernetes.io/service-account.name'];
    const sa = name ? this.store.get(this.key(this.kindOf('v1', 'ServiceAccount'), ns, name)) : undefined;
    if (!sa) return;
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = [b64({ alg: 'RS256' }), b64({ iss: 'kubernetes/serviceaccount', sub: `system:serviceaccount:${ns}:${name}`,
      'kubernetes.io/serviceaccount/secret.name': secret.metadata.name }), randomBytes(16).toString('base64url')].join('.');
    this.tokens.set(token, { namespace: ns, name: name!, uid: sa.metadata.uid!, exp: Number.MAX_SAFE_INTEGER / 1000 });
    secret.data = { ...(secret.data ?? {}), token: Buffer.from(token).toString('base64') };
  }

  private tokenRequest(kind: Kind, ns: string, name: string, body: any, id: Identity): Answer {
    const denied = this.authorize(id, 'create', kind, ns, name, 'serviceaccounts/token');
    if (denied) return denied;
    const sa = this.store.get(this.key(kind, ns, name));
    if (!sa) return notFound(kind, name);
    const asked = body?.spec?.expirationSeconds ?? 3600;
    if (asked < 600) return failure(422, 'Invalid', 'TokenRequest.authentication.k8s.io "' + name + '" is invalid: spec.expirationSeconds: Invalid value: ' + asked + ': may not specify a duration less than 10 minutes');
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + Math.min(asked, this.opts.maxTokenSeconds ?? 365 * 86_400);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = [b64({ alg: 'RS256' }), b64({ iss: 'https://kubernetes.default.svc', sub: `system:serviceaccount:${ns}:${name}`, iat, exp }),
      randomBytes(16).toString('base64url')].join('.');
    this.tokens.set(token, { namespace: ns, name, uid: sa.metadata.uid!, exp });
    return { code: 201, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name, namespace: ns }, spec: clone(body?.spec ?? {}),
      status: { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z') } } };
  }

  private listObjects(kind: Kind, ns: string | undefined, r: Req): Answer {
    let labelTests: ((l: Record<string, string>) => boolean)[];
    try {
      labelTests = parseSelector(r.query.labelSelector ?? '');
    } catch {
      return failure(400, 'BadRequest', `unable to parse requirement: invalid label selector "${r.query.labelSelector}"`);
    }
    const fieldTests: ((o: KubeObject) => boolean)[] = [];
    for (const term of (r.query.fieldSelector ?? '').split(',').filter(Boolean)) {
      const m = /^(metadata\.name|metadata\.namespace)(!=|==|=)(.*)$/.exec(term);
      if (!m) return failure(400, 'BadRequest', `"${term.split(/[!=]/)[0]}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
      const get = (o: KubeObject) => (m[1] === 'metadata.name' ? o.metadata.name : o.metadata.namespace ?? '');
      fieldTests.push(m[2] === '!=' ? (o) => get(o) !== m[3] : (o) => get(o) === m[3]);
    }
    const all = this.entries(kind, ns).filter(([, o]) => labelTests.every((t) => t(o.metadata.labels ?? {})) && fieldTests.every((t) => t(o)));
    const from = Number(r.query.continue || 0);
    const limit = Number(r.query.limit || 0) || all.length;
    const page = all.slice(from, from + limit);
    const next = from + limit < all.length ? String(from + limit) : undefined;
    const metadata = { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) };
    if (r.accept?.includes('as=PartialObjectMetadataList')) {
      return { code: 200, body: { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata,
        items: page.map(([key, o]) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: this.render(key, o).metadata })) } };
    }
    const items = page.map(([key, o]) => {
      const { apiVersion: _a, kind: _k, ...rest } = this.render(key, o);
      return kind.builtIn ? rest : { apiVersion: o.apiVersion, kind: o.kind, ...rest };
    });
    return { code: 200, body: { kind: `${kind.kind}List`, apiVersion: gvOf(kind), metadata, items } };
  }

  private apply(kind: Kind, ns: string | undefined, name: string, r: Req, id: Identity): Answer {
    const manager = r.query.fieldManager;
    if (!manager) return failure(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const body = r.body as KubeObject;
    if (!isMap(body) || body.apiVersion !== gvOf(kind) || body.kind !== kind.kind) {
      return failure(400, 'BadRequest', `the apiVersion and kind of the object (${body?.apiVersion}, ${body?.kind}) do not match the URL`);
    }
    if (body.metadata?.name !== name) return failure(400, 'BadRequest', `the name of the object (${body.metadata?.name}) does not match the name on the URL (${name})`);
    if (ns && !this.store.has(this.key(this.kindOf('v1', 'Namespace'), undefined, ns))) return failure(404, 'NotFound', `namespaces "${ns}" not found`);
    const key = this.key(kind, ns, name);
    const cur = this.store.get(key);
    if (!cur) {
      const denied = this.authorize(id, 'create', kind, ns, name);
      if (denied) return denied;
    }
    const fields = ownedFields(body);
    const owners = (this.owners.get(key) ?? []).map((o) => ({ ...o, fields: new Set(o.fields) }));
    const others = owners.filter((o) => o.manager !== manager && !o.subresource);
    const conflicts = cur ? others.flatMap((o) => [...o.fields].filter((f) => fields.has(f) && !sameJson(valueAt(cur, f), valueAt(body, f)))
      .map((f) => ({ manager: o.manager, apiVersion: o.apiVersion, path: f, field: '.' + (JSON.parse(f) as string[]).join('.') }))) : [];
    if (conflicts.length && r.query.force !== 'true') {
      const head = conflicts.length === 1 ? `Apply failed with 1 conflict: conflict with "${conflicts[0]!.manager}" using ${conflicts[0]!.apiVersion}: ${conflicts[0]!.field}`
        : `Apply failed with ${conflicts.length} conflicts: ${[...new Set(conflicts.map((c) => `conflicts with "${c.manager}" using ${c.apiVersion}:`))].join(' ')}\n`
          + conflicts.map((c) => `- ${c.field}`).join('\n');
      return failure(409, 'Conflict', head);
    }
    // Taken over (force) fields leave their owners; equal values stay shared.
    const taken = new Set(conflicts.map((c) => c.path));
    for (const o of others) for (const f of taken) o.fields.delete(f);
    const mine = owners.find((o) => o.manager === manager && o.operation === 'Apply');
    const next: KubeObject = cur ? clone(cur) : { apiVersion: body.apiVersion, kind: body.kind, metadata: { name, ...(ns ? { namespace: ns } : {}) } };
    for (const f of mine?.fields ?? []) if (!fields.has(f) && !others.some((o) => o.fields.has(f))) removeAt(next, f);
    const { status: _s, ...applied } = clone(body);
    merge(next, applied);
    next.metadata.name = name;
    if (ns) next.metadata.namespace = ns; else delete next.metadata.namespace;
    const nextOwners = [...owners.filter((o) => o !== mine && o.fields.size), { manager, operation: 'Apply' as const, apiVersion: body.apiVersion, time: mine?.time ?? '', fields }];
    return this.write(key, kind, cur, next, nextOwners, { manager, operation: 'Apply' }, r.query.dryRun === 'All');
  }

  private jsonPatch(kind: Kind, key: string, name: string, r: Req): Answer {
    const cur = this.store.get(key);
    if (!cur) return notFound(kind, name);
    const next = clone(cur) as any;
    for (const op of r.body as { op: string; path: string; value?: unknown }[]) {
      const keys = jsonPointer(op.path);
      const last = keys.pop()!;
      const parent = keys.reduce((o, k) => o?.[k], next);
      if (parent === undefined) return failure(422, 'Invalid', `jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"`);
      if (op.op === 'test') {
        if (!sameJson(parent[last], op.value)) return failure(422, 'Invalid', `the server rejected our request due to an error in our request`);
      } else if (op.op === 'remove') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete parent[last];
      } else if (op.op === 'add' && Array.isArray(parent)) {
        parent.splice(last === '-' ? parent.length : Number(last), 0, clone(op.value));
      } else if (op.op === 'add' || op.op === 'replace') {
        parent[last] = clone(op.value);
      } else {
        return failure(422, 'Invalid', `unsupported json patch operation ${op.op}`);
      }
    }
    if (next.metadata.resourceVersion !== String(this.store.get(key)!.metadata.resourceVersion)) {
      return failure(409, 'Conflict', `Operation cannot be fulfilled on ${resourceName(kind)} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    return this.update(key, kind, cur, next, r.query.fieldManager ?? 'unknown', undefined, r.query.dryRun === 'All');
  }

  /** An Update write: the writer owns the fields it changed; nobody else keeps them. */
  private update(key: string, kind: Kind, cur: KubeObject, next: KubeObject, manager: string, subresource: string | undefined, dryRun = false): Answer {
    const before = subresource ? leaves({ status: cur.status }) : ownedFields(cur);
    const after = subresource ? leaves({ status: next.status }) : ownedFields(next);
    const changed = new Set([...after].filter((f) => !before.has(f) || !sameJson(valueAt(cur, f), valueAt(next, f))));
    const present = leaves(next);
    const owners = (this.owners.get(key) ?? []).map((o) => ({ ...o, fields: new Set([...o.fields].filter((f) => !changed.has(f) && present.has(f))) }));
    const mine = owners.find((o) => o.manager === manager && o.operation === 'Update' && o.subresource === subresource);
    const rest = owners.filter((o) => o !== mine && o.fields.size);
    const nextOwners = [...rest, { manager, operation: 'Update' as const, apiVersion: next.apiVersion, time: mine?.time ?? '', subresource,
      fields: new Set([...(mine?.fields ?? []), ...changed]) }];
    return this.write(key, kind, cur, next, nextOwners, { manager, operation: 'Update', subresource }, dryRun);
  }

  /** Stores a write (unless a dry run) when it changes content or ownership; answers the object as it is then. */
  private write(key: string, kind: Kind, cur: KubeObject | undefined, next: KubeObject, owners: Owner[],
    writer: { manager: string; operation: string; subresource?: string }, dryRun: boolean): Answer {
    const content = (o: KubeObject | undefined) => {
      if (!o) return undefined;
      const { resourceVersion: _r, managedFields: _m, generation: _g, ...meta } = o.metadata;
      return JSON.stringify({ ...o, metadata: meta });
    };
    if (cur && content(cur) === content(next) && sameOwners(this.owners.get(key) ?? [], owners)) {
      return { code: 200, body: this.render(key, cur) };
    }
    const time = this.time();
    for (const o of owners) if (o.manager === writer.manager && o.operation === writer.operation && o.subresource === writer.subresource) o.time = time;
    const spec = (o: KubeObject | undefined) => (o ? JSON.stringify({ ...o, metadata: undefined, status: undefined }) : '');
    next.metadata.generation = !cur ? 1 : Number(cur.metadata.generation ?? 1) + (spec(cur) !== spec(next) ? 1 : 0);
    next.metadata.uid = cur?.metadata.uid ?? randomUUID();
    next.metadata.creationTimestamp = cur?.metadata.creationTimestamp ?? time;
    if (dryRun) {
      next.metadata.resourceVersion = cur?.metadata.resourceVersion;
      return { code: cur ? 200 : 201, body: this.renderWith(next, owners) };
    }
    next.metadata.resourceVersion = String(++this.rv);
    this.store.set(key, next);
    this.owners.set(key, owners);
    this.managedFields.delete(key);
    if (!cur && kind.kind === 'Namespace') {
      this.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: next.metadata.name }, data: { 'ca.crt': 'FAKE CA\n' } });
    }
    if (kind.kind === 'CustomResourceDefinition') this.establish(key, next);
    if (!cur && kind.kind === 'Secret' && next.type === 'kubernetes.io/service-account-token') this.fillToken(next);
    return { code: cur ? 200 : 201, body: this.render(key, this.store.get(key)!) };
  }

  /** The apiextensions controller: serves the CRD's versions and marks it Established. */
  private establish(key: string, crd: KubeObject): void {
    const { group, names, scope, versions } = crd.spec ?? {};
    this.kinds = this.kinds.filter((k) => k.crd !== crd.metadata.name);
    for (const v of (versions ?? []) as { name: string; served?: boolean }[]) {
      if (v.served === false) continue;
      this.kinds.push({ group, version: v.name, kind: names.kind, plural: names.plural, namespaced: scope === 'Namespaced', builtIn: false, crd: crd.metadata.name });
    }
    if (!crd.status?.conditions?.some((c: any) => c.type === 'Established')) {
      const t = this.time();
      this.update(key, this.kindOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), crd, { ...clone(crd), status: { acceptedNames: names,
        conditions: [{ type: 'NamesAccepted', status: 'True', lastTransitionTime: t }, { type: 'Established', status: 'True', lastTransitionTime: t }] } },
      'kube-apiserver', 'status');
    }
  }

  private remove(kind: Kind, key: string, name: string, opts: any): Answer {
    const cur = this.store.get(key);
    if (!cur) return notFound(kind, name);
    const pre = opts?.preconditions ?? {};
    if (pre.uid && pre.uid !== cur.metadata.uid) {
      return failure(409, 'Conflict', `Operation cannot be fulfilled on ${resourceName(kind)} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      return failure(409, 'Conflict', `Operation cannot be fulfilled on ${resourceName(kind)} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    }
    const answer = { code: 200, body: this.render(key, cur) };
    if ((opts?.dryRun ?? []).includes('All')) return answer;
    this.store.delete(key);
    this.owners.delete(key);
    if (kind.kind === 'Namespace') {
      for (const k of this.kinds.filter((x) => x.namespaced)) for (const [other] of this.entries(k, name)) { this.store.delete(other); this.owners.delete(other); }
    }
    if (kind.kind === 'CustomResourceDefinition') {
      for (const k of this.kinds.filter((x) => x.crd === name)) for (const [other] of this.entries(k)) { this.store.delete(other); this.owners.delete(other); }
      this.kinds = this.kinds.filter((k) => k.crd !== name);
    }
    this.rv++;
    return answer;
  }

  private groupList() {
    const groups = new Map<string, string[]>();
    for (const k of this.kinds) if (k.group && !groups.get(k.group)?.includes(k.version)) groups.set(k.group, [...(groups.get(k.group) ?? []), k.version]);
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([name, versions]) => ({ name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })), preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] } })) };
  }

  private resourceList(group: string, version: string): Answer {
    const kinds = this.kinds.filter((k) => k.group === group && k.version === version);
    if (!kinds.length) return NO_RESOURCE;
    const resources = kinds.flatMap((k) => [
      { name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: ['delete', 'get', 'list', 'patch'] },
      ...(k.kind === 'ServiceAccount' ? [{ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] }] : []),
    ]);
    return { code: 200, body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvOf({ group, version }), resources } };
  }

  private render(key: string, o: KubeObject): KubeObject {
    if (!this.managedFields.has(key)) this.managedFields.set(key, managedFieldsOf(this.owners.get(key) ?? []));
    return { ...clone(o), metadata: { ...clone(o.metadata), managedFields: clone(this.managedFields.get(key)) } };
  }

  private renderWith(o: KubeObject, owners: Owner[]): KubeObject {
    return { ...clone(o), metadata: { ...clone(o.metadata), managedFields: managedFieldsOf(owners) } };
  }

  private kindOf(apiVersion: string, kind: string): Kind {
    const k = this.kinds.find((x) => gvOf(x) === apiVersion && x.kind === kind);
    if (!k) throw new Error(`the fake does not serve ${kind} (${apiVersion})`);
    return k;
  }

  private locate(ref: { apiVersion: string; kind: string; namespace?: string; name: string }) {
    const kind = this.kindOf(ref.apiVersion, ref.kind);
    return { kind, key: this.key(kind, kind.namespaced ? ref.namespace ?? 'default' : undefined, ref.name) };
  }

  private pathOf(o: KubeObject): string {
    const k = this.kindOf(o.apiVersion, o.kind);
    const ns = k.namespaced ? `/namespaces/${o.metadata.namespace ?? 'default'}` : '';
    return `${k.group ? `/apis/${k.group}/${k.version}` : '/api/v1'}${ns}/${k.plural}/${o.metadata.name}`;
  }

  /** A kind's objects (in one namespace, or all), sorted by namespace and name as the server lists them. */
  private entries(k: Kind, ns?: string): [string, KubeObject][] {
    return [...this.store.entries()].filter(([key]) => key.startsWith(this.prefix(k, ns))).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  // Keys sort by kind, then namespace, then name; a kind's objects share the prefix (all versions of a CRD share one store).
  private prefix(k: Kind, ns?: string) { return `${k.group}/${k.plural}/${ns === undefined ? '' : ns + '/'}`; }
  private key(k: Kind, ns: string | undefined, name: string) { return `${k.group}/${k.plural}/${k.namespaced ? ns ?? '' : ''}/${name}`; }
}

/** A minimal CustomResourceDefinition (no schema: the fake validates nothing). */
export function crdObject(group: string, kind: string, plural: string, versions: string[], scope: 'Namespaced' | 'Cluster' = 'Namespaced'): KubeObject {
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${group}` },
    spec: { group, scope, names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: versions.map((name, i) => ({ name, served: true, storage: i === 0, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } })) } };
}
