// The gateway hook of pkg/README.md, verbatim between the markers (a test checks they match):
// wrap the function that forwards a JSON-RPC request upstream.
// --8<-- [start:hook]
import { PolicyEngine, denialResult } from 'toolgate';

export function guard(policy, forward, grant = 'default') {
  const engine = new PolicyEngine(policy); // throws PolicyError with every problem found
  return async (request) => {
    if (request.method === 'tools/list') {
      const response = await forward(request);
      return response.result ? { ...response, result: engine.filterTools(response.result) } : response;
    }
    if (request.method !== 'tools/call') return forward(request);
    const { name, arguments: args } = request.params;
    const decision = engine.evaluate({ tool: name, args, grant });
    if (decision.outcome !== 'allow') return { jsonrpc: '2.0', id: request.id, result: denialResult(decision) };
    const response = await forward(request);
    if (response.error) engine.release(decision); // upstream failed: give the quota back
    return response;
  };
}
// --8<-- [end:hook]
