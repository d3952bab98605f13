export * from './message';
export * from './recipients';
export * from './rql';
