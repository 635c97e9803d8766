// toolgate-gateway as a library: start a gateway from code (what the command line does), or reuse
// its parts — the stores share the `decide / release / settle` interface.
export { startGateway } from './gateway.mjs';
export { parseCommandLine } from './cli.mjs';
export { MemoryStore } from './memory-store.mjs';
export { RedisStore, RESERVE_LUA, RELEASE_LUA, slotKey, markerKey, storeUnavailable } from './redis-store.mjs';
export { PolicyHolder, locatedErrors } from './policy.mjs';
export { refusal } from './session.mjs';
