// A small typed client of the BorderPass API for the mini-program: every body and answer
// type comes from src/api.d.ts, generated from the OpenAPI document (`npm run generate`).
import type { components, operations, paths } from "./api";

export type Session = components["schemas"]["Session"];
export type User = components["schemas"]["User"];
export type Declaration = components["schemas"]["Declaration"];
export type Trip = components["schemas"]["Trip"];
export type OcrReading = components["schemas"]["OcrReading"];
export type ApiError = components["schemas"]["Error"];
export type OcrKind = operations["post_api_v1_ocr_kind"]["parameters"]["path"]["kind"];
type JsonBody<P extends keyof paths, M extends "post" | "patch"> =
  paths[P][M] extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
export type NewDeclaration = JsonBody<"/api/v1/declarations", "post">;
export type FilingDraft = JsonBody<"/api/v1/filings", "post">;

/** What the client needs from the platform: wx.request on the phone, fetch in a test. */
export interface Transport {
  request(method: string, url: string, body: unknown,
          headers: Record<string, string>): Promise<{ status: number; data: unknown }>;
}

/** An answer that is not a success: the server's code, field and sentence. */
export class BorderPassError extends Error {
  constructor(readonly status: number, readonly detail: ApiError["error"]) {
    super(detail.message);
  }
}

export class BorderPassClient {
  private token = "";

  constructor(private readonly transport: Transport, private readonly base: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const { status, data } = await this.transport.request(method, this.base + path, body, headers);
    if (status >= 400) throw new BorderPassError(status, (data as ApiError).error);
    return data as T;
  }

  /** Exchanges a wx.login code for a session and keeps its token. */
  async login(code: string, locale?: string): Promise<User> {
    const body: JsonBody<"/api/v1/auth/wx-login", "post"> = { code, locale };
    const session = await this.call<Session>("POST", "/api/v1/auth/wx-login", body);
    this.token = session.token;
    return session.user;
  }

  /** Declares one exit or entry of a filed vehicle. */
  declare(body: NewDeclaration): Promise<Declaration> {
    return this.call<Declaration>("POST", "/api/v1/declarations", body);
  }

  /** The caller's declarations. */
  async declarations(): Promise<Declaration[]> {
    return (await this.call<{ items: Declaration[] }>("GET", "/api/v1/declarations")).items;
  }

  /** The caller's trips, each with its deadline and days left (R-F8). */
  async trips(): Promise<Trip[]> {
    return (await this.call<{ items: Trip[] }>("GET", "/api/v1/trips")).items;
  }

  /** Where wx.uploadFile sends a photo to be read as ``kind`` (the kinds are an enum). */
  ocrUrl(kind: OcrKind): string {
    return `${this.base}/api/v1/ocr/${kind}`;
  }
}
