import type { Authenticator } from "latchkey/client";
import { useEffect, useState } from "preact/hooks";
import { client } from "./api";

/** The user's authenticators, read once per page. */
export function useAuthenticators(): [Authenticator[], () => Promise<void>] {
  const [list, setList] = useState<Authenticator[]>([]);
  const refresh = async () => {
    const answer = await client.listAuthenticators();
    if (answer.status === 200) setList(answer.data);
  };
  useEffect(() => {
    refresh();
  }, []);
  return [list, refresh];
}
