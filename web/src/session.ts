/**
 * The signed-in user, kept in sessionStorage: it survives a reload but not
 * the tab, and never reaches other tabs or disk beyond the browser's session.
 *
 * The user id and roles are read from the token's payload only to shape the
 * UI (show "My account", the roles editor). The server checks the signature
 * and decides every permission itself.
 */
export interface SignedInUser {
  readonly token: string;
  readonly userId: string;
  readonly username: string;
  readonly roles: readonly string[];
  /** Unix seconds. */
  readonly expiresAt: number;
}

const STORAGE_KEY = "user-service.session";

export class Session {
  #user: SignedInUser | undefined = load();
  readonly #listeners = new Set<() => void>();

  /** Undefined once the token has expired: the server would refuse it. */
  get user(): SignedInUser | undefined {
    return this.#user !== undefined && this.#user.expiresAt * 1000 > Date.now() ? this.#user : undefined;
  }

  get isAdmin(): boolean {
    return this.user?.roles.includes("admin") ?? false;
  }

  signIn(token: string, username: string, expiresAt: number): void {
    const claims = readClaims(token);
    this.#user = { token, username, expiresAt, userId: claims.sub, roles: claims.roles };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.#user));
    this.#changed();
  }

  signOut(): void {
    if (this.#user === undefined) {
      return;
    }
    this.#user = undefined;
    sessionStorage.removeItem(STORAGE_KEY);
    this.#changed();
  }

  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) {
      listener();
    }
  }
}

function load(): SignedInUser | undefined {
  try {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    return stored === null ? undefined : (JSON.parse(stored) as SignedInUser);
  } catch {
    return undefined;
  }
}

/** The JWT's payload, decoded without verification (see above). */
function readClaims(token: string): { sub: string; roles: string[] } {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  const claims = JSON.parse(json) as { sub?: unknown; roles?: unknown };
  return {
    sub: typeof claims.sub === "string" ? claims.sub : "",
    roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [],
  };
}
