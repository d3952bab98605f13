/**
 * The one way repositories are obtained: one lazily created instance of each per container,
 * sharing the one document client. Tests and the benchmark construct their own with other clients.
 */
import { CorrelationsRepository } from './correlations';
import { type PoliciesRepository, policiesRepository, type ThingsRepository, thingsRepository } from './entities';
import { SessionsRepository } from './sessions';
import { TargetsRepository } from './targets';

const lazy = <T>(create: () => T): (() => T) => {
  let instance: T | undefined;
  return () => (instance ??= create());
};

export const sessions: () => SessionsRepository = lazy(() => new SessionsRepository());
export const correlations: () => CorrelationsRepository = lazy(() => new CorrelationsRepository());
export const things: () => ThingsRepository = lazy(() => thingsRepository());
export const policies: () => PoliciesRepository = lazy(() => policiesRepository());
export const targets: () => TargetsRepository = lazy(() => new TargetsRepository());
