/**
 * Stand-in for Node built-ins in the browser bundle. The page reaches modules that also write files
 * (checkpoint saving, corpus export); those functions are never called in the page, and if one
 * ever is, it fails saying so instead of doing something half-right.
 */
function unavailable(name: string): () => never {
  return () => {
    throw new Error(`${name} is not available in the browser`);
  };
}

export const readFileSync = unavailable('fs.readFileSync');
export const writeFileSync = unavailable('fs.writeFileSync');
export const renameSync = unavailable('fs.renameSync');
export const unlinkSync = unavailable('fs.unlinkSync');
export const existsSync = unavailable('fs.existsSync');
export const mkdirSync = unavailable('fs.mkdirSync');
export const openSync = unavailable('fs.openSync');
export const readSync = unavailable('fs.readSync');
export const closeSync = unavailable('fs.closeSync');
export const statSync = unavailable('fs.statSync');
export const readdirSync = unavailable('fs.readdirSync');
export const rmSync = unavailable('fs.rmSync');
export const readFile = unavailable('fs.readFile');
export const join = unavailable('path.join');
export const resolve = unavailable('path.resolve');
export const dirname = unavailable('path.dirname');
export const basename = unavailable('path.basename');
export const availableParallelism = unavailable('os.availableParallelism');
export const fileURLToPath = unavailable('url.fileURLToPath');
export const setFlagsFromString = unavailable('v8.setFlagsFromString');
export const Worker = unavailable('worker_threads.Worker');
export const parentPort = null;
export const workerData = null;
export default {};
