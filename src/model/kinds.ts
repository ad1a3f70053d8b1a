/** The resource kinds the tool reads and writes by name: one place for their API versions. */
export const K8SSANDRA_CLUSTER = { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster' } as const;
export const CASSANDRA_DATACENTER = { apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter' } as const;
export const CLIENT_CONFIG = { apiVersion: 'config.k8ssandra.io/v1beta1', kind: 'ClientConfig' } as const;
export const REPLICATED_SECRET = { apiVersion: 'replication.k8ssandra.io/v1alpha1', kind: 'ReplicatedSecret' } as const;
export const K8SSANDRA_TASK = { apiVersion: 'control.k8ssandra.io/v1alpha1', kind: 'K8ssandraTask' } as const;
export const CASSANDRA_TASK = { apiVersion: 'control.k8ssandra.io/v1alpha1', kind: 'CassandraTask' } as const;
