/** The shape of a Kubernetes object as the tool reads and writes it (no I/O here). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>;
    resourceVersion?: string; uid?: string; managedFields?: unknown[]; [k: string]: unknown };
  [k: string]: any;
}

export type ObjectMeta = KubeObject['metadata'];

/** Kind/namespace/name, as messages name an object. */
export const refOf = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`;
