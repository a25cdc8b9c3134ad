/**
 * The one place the node driver names its storage implementation. The driver
 * (server/raft-replicator.ts and server/node/*) refers to the store only
 * through these aliases, so replacing the store is a change to this file.
 * The record and batch types are derived from the store's own methods, so
 * they follow it.
 */
import type { NodeStorage } from '../../storage/node-storage';

export { compactionPoint } from '../../storage/lmdb';

export type NodeStore = NodeStorage;
/** What one writeBatch persists (entries to the segment log; hard state and keyspace changes to LMDB). */
export type NodeWriteBatch = Parameters<NodeStore['writeBatch']>[0];
/** One change to the durable keyspace copy (a null value deletes the record). */
export type StoreChange = NonNullable<NodeWriteBatch['keyspace']>['changes'][number];
/** One store-encoded record as a snapshot stream carries it. */
export type StoreRecord = Parameters<NodeStore['stage']>[0][number];
