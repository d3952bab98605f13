/**
 * Tables of its own for every test file (setupFilesAfterEnv: before the file's modules read their configuration).
 * Files run in parallel on one DynamoDB Local, each with its own local gateway; on shared tables one file's fan-out
 * reached another file's connections (same subject, e.g. the Basic user `ditto`) through a gateway that does not know
 * them, got 410 and its clean-up deleted the other file's subscriptions mid-test.
 */
import { randomUUID } from 'node:crypto';
import { TABLE_KEYS, TABLES, type TableKey } from '../../lambdas/store/schema';
import { createTables } from '../../local/dynamodb';

const run = process.env.TEST_TABLE_RUN ?? 'test';
const file = randomUUID().replace(/-/g, '').slice(0, 10);
const names = Object.fromEntries(TABLE_KEYS.map((k) => [k, `${run}-${file}-${k}`])) as Record<TableKey, string>;
for (const k of TABLE_KEYS) process.env[TABLES[k].envName] = names[k];

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
if (endpoint) beforeAll(() => createTables(endpoint, names));
