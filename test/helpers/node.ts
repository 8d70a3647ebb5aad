/**
 * The node flags a test passes on to the node processes it starts: those of the test runner's own command line
 * (package.json's test script) that keep a process from hanging at exit. `--no-concurrent-recompilation`: on
 * Node 20 a process whose event loop empties while a background optimizing compile waits for a garbage
 * collection never exits (nodejs/node#54918); without the flag a CLI run a test starts could hang the same way.
 */
export const NODE_FLAGS: readonly string[] = process.execArgv.filter((a) => a === '--no-concurrent-recompilation');
