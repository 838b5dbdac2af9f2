// Compile-time checks of the generated types: tsc fails if a line marked @ts-expect-error
// type-checks, so a document that loses its types breaks the build.
import { BorderPassClient, type NewDeclaration, type Transport } from "./client";

const transport: Transport = {
  async request() {
    return { status: 200, data: {} };
  },
};
const client = new BorderPassClient(transport, "http://127.0.0.1:8080");

export async function sample(): Promise<string> {
  const user = await client.login("demo-alice", "en");
  const exit: NewDeclaration = { filing_id: 1, driver_id: 1, direction: "exit", port: "ruili" };
  const made = await client.declare(exit);
  // @ts-expect-error: a direction is "exit" or "entry"
  const wrong: NewDeclaration = { filing_id: 1, driver_id: 1, direction: "out", port: "ruili" };
  // @ts-expect-error: port is required
  const missing: NewDeclaration = { filing_id: 1, driver_id: 1, direction: "entry" };
  // @ts-expect-error: OCR kinds are an enum, not any string
  client.ocrUrl("passport");
  void wrong;
  void missing;
  return `${user.id} ${made.status} ${client.ocrUrl("vehicle_licence")}`;
}
