// A sample webhook receiver: verifies Standard Webhooks signatures and prints each event.
// Only Node's standard library, so it runs in a plain node image.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.STREAMHOOK_WEBHOOK_SECRET ?? "";
const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
const seen = new Set();

function verified(headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = (headers["webhook-signature"] ?? "").split(" ");
  if (!id || !timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.some((s) => {
    const given = Buffer.from(s.replace(/^v1,/, ""), "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    if (!verified(req.headers, body)) {
      console.log(JSON.stringify({ rejected: req.headers["webhook-id"] }));
      res.writeHead(401).end();
      return;
    }
    const id = req.headers["webhook-id"];
    const duplicate = seen.has(id);
    seen.add(id);
    console.log(
      JSON.stringify({
        id,
        duplicate,
        tenant: req.headers["streamhook-tenant"],
        body: body.toString(),
      }),
    );
    res.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 9000), () =>
  console.log(`receiver listening on :${process.env.PORT ?? 9000}`),
);
