export * from './vocabulary';
export * from './paths';
export * from './headers';
export * from './payload';
export * from './envelope';
export * from './control';
