export * from './model';
export * from './enforcer';
export * from './readable';
export * from './creation';
