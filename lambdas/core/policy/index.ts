export * from './model';
export * from './enforcer';
