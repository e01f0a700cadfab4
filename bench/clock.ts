// Wall-clock time in milliseconds with sub-millisecond resolution, comparable across processes
// on one machine: publish and arrival times are taken in different processes.
export const wallMs = (): number => performance.timeOrigin + performance.now();
