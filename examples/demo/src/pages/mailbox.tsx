import { useEffect, useState } from "preact/hooks";

/** A message as the demo server's GET /dev/mailbox lists it. */
interface Message {
  id: number;
  kind: "mail" | "text";
  to: string;
  subject: string;
  body: string;
  links: string[];
  code: string | null;
  at: number;
}

/**
 * The demo's stand-in for an inbox and a phone: every mail and text the server sent, newest
 * first, with their codes and links picked out. It asks the server again every second.
 */
export function Mailbox() {
  const [messages, setMessages] = useState<Message[]>([]);
  useEffect(() => {
    const load = async () => {
      const response = await fetch("/dev/mailbox");
      if (response.ok) setMessages(((await response.json()) as Message[]).reverse());
    };
    load();
    const timer = setInterval(load, 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <section>
      <h1>Mailbox</h1>
      <p>Mail and texts the demo server sent (kept in its memory, newest first).</p>
      {messages.length === 0 && <p>Nothing yet.</p>}
      {messages.map((m) => (
        <article class="message" key={m.id} data-to={m.to}>
          <header>
            <span class="badge">{m.kind}</span> to <strong>{m.to}</strong>: {m.subject}
            <time>{new Date(m.at).toLocaleTimeString()}</time>
          </header>
          {m.code && (
            <p>
              Code: <code class="code">{m.code}</code>
            </p>
          )}
          {m.links.map((link) => (
            <p key={link}>
              <a href={link}>{link}</a>
            </p>
          ))}
          <details>
            <summary>Full text</summary>
            <pre>{m.body}</pre>
          </details>
        </article>
      ))}
    </section>
  );
}
