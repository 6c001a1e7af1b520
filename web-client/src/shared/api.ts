// The REST client: bearer token, JSON in and out, the server's error shape.

/** An HTTP error as the server explains it (docs/protocol.md, "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For 409: the actions that would have been accepted. */
    readonly allowed: string[] = [],
    /** For 429 and 503: seconds to wait before trying again (`Retry-After`). */
    readonly retryAfterS: number | null = null,
    /** For 409: the state the thing is in (a staff member `busy` or in `sos`), when the server says. */
    readonly state: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The error code of a login that must choose a new password before anything else. */
export const PASSWORD_CHANGE_REQUIRED = 'password_change_required';

export type QueryValue = string | number | boolean | null | undefined;

/** `?a=1&b=x`, leaving out null and undefined values. */
export function queryString(params: Record<string, QueryValue>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export class Api {
  constructor(
    private token: string | null = null,
    private readonly base = '',
  ) {}

  setToken(token: string | null): void {
    this.token = token;
  }

  getToken(): string | null {
    return this.token;
  }

  /**
   * Called when the server says the token is no longer good (401 to a request
   * that carried one). A 401 to a login (no token) is a wrong password, for
   * the login form to say.
   */
  onUnauthorized: () => void = () => {};

  /**
   * Called when the server refuses a request until the user has chosen a new
   * password (403 `password_change_required`: an administrator set it). The
   * login form handles that itself; a running page reloads into that form.
   */
  onPasswordChangeRequired: () => void = () => {};

  get<T>(path: string, params: Record<string, QueryValue> = {}): Promise<T> {
    return this.request<T>('GET', path + queryString(params));
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T = void>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = this.headers();
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return this.json<T>(res);
  }

  /**
   * A file the server keeps behind the login (an attachment, its thumbnail):
   * an <img src> cannot carry the bearer token, so it is fetched here and
   * shown through an object URL.
   */
  async blob(path: string): Promise<Blob> {
    const res = await fetch(this.base + path, { headers: this.headers('*/*') });
    if (!res.ok) throw this.failed(res, await res.text());
    return res.blob();
  }

  /**
   * Sends a file's raw bytes (no multipart: the server reads the body as the
   * image) with its own type, and reads the JSON answer. The body streams from
   * the Blob, so a large photo never passes through a JS string.
   */
  async upload<T>(path: string, file: Blob, signal?: AbortSignal): Promise<T> {
    const headers = this.headers();
    headers['content-type'] = file.type || 'application/octet-stream';
    const res = await fetch(this.base + path, { method: 'POST', headers, body: file, signal });
    return this.json<T>(res);
  }

  private headers(accept = 'application/json'): Record<string, string> {
    const headers: Record<string, string> = { accept };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return headers;
  }

  private async json<T>(res: Response): Promise<T> {
    const text = await res.text();
    if (!res.ok) throw this.failed(res, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The error of a refused request, after telling the page when the session is over. */
  private failed(res: Response, text: string): ApiError {
    const e = errorFrom(res.status, text, res.headers.get('retry-after'));
    if (res.status === 401 && this.token) this.onUnauthorized();
    if (e.code === PASSWORD_CHANGE_REQUIRED) this.onPasswordChangeRequired();
    return e;
  }
}

/**
 * Reads the server's `{"error", "message", "allowed"?, "state"?}` body, or makes one up.
 * Newer answers (attachments, intake) carry only `{"error": "<sentence>"}`: the
 * sentence is then the message too, never the raw JSON.
 */
export function errorFrom(status: number, text: string, retryAfter: string | null = null): ApiError {
  const wait = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
  try {
    const j = JSON.parse(text) as { error?: string; message?: string; allowed?: string[]; state?: string };
    return new ApiError(status, j.error ?? `http_${status}`, j.message ?? j.error ?? text, j.allowed ?? [], wait, j.state ?? null);
  } catch {
    return new ApiError(status, `http_${status}`, text || `HTTP ${status}`, [], wait);
  }
}
