import type { UserSession } from "latchkey";
import { useEffect, useState } from "preact/hooks";
import { client, when } from "../../api";
import { Form } from "../../ui";

/** Where the user is logged in; ending the current session logs out here. */
export function Sessions() {
  const [sessions, setSessions] = useState<UserSession[]>([]);
  const end = async (ids: number[]) => {
    const answer = await client.endSessions({ sessions: ids });
    if (answer.status === 200) setSessions(answer.data);
    return answer;
  };
  useEffect(() => {
    client.listSessions().then((answer) => {
      if (answer.status === 200) setSessions(answer.data);
    });
  }, []);
  const others = sessions.filter((s) => !s.is_current).map((s) => s.id);
  return (
    <section>
      <h1>Sessions</h1>
      <table>
        <thead>
          <tr>
            <th>Browser</th>
            <th>IP address</th>
            <th>Started</th>
            <th>Last seen</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id}>
              <td>
                {s.user_agent || "unknown"} {s.is_current && <span class="badge ok">this browser</span>}
              </td>
              <td>{s.ip}</td>
              <td>{when(s.created_at)}</td>
              <td>{when(s.last_seen_at)}</td>
              <td>
                <Form submit={() => end([s.id])} label={s.is_current ? "Log out" : "End"} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {others.length > 0 && <Form submit={() => end(others)} label="End all other sessions" />}
    </section>
  );
}
