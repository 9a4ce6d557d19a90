/**
 * Runs `work` holding the Web Lock `name` where there is one: the tabs of an origin share
 * `localStorage`, so a refresh in one tab must wait for another's, or the second would present the
 * refresh token the first has just rotated out, which the server takes for a stolen token and ends
 * the session. Where there are no Web Locks (Node, React Native) there are no other tabs: `work`
 * runs at once.
 */
export function exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  return locks ? locks.request(name, work) : work();
}
