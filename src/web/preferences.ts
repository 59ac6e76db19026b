/** What the page remembers between visits (localStorage; nothing here is secret). */

const NAME_KEY = 'dotm:name';
const ROOM_KEY = 'dotm:lastRoom';

function read(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private browsing or full storage: the form asks again next time.
  }
}

export const preferences = {
  get name(): string | undefined {
    return read(NAME_KEY);
  },
  set name(value: string | undefined) {
    if (value) write(NAME_KEY, value);
  },
  get lastRoom(): string | undefined {
    return read(ROOM_KEY);
  },
  set lastRoom(value: string | undefined) {
    if (value) write(ROOM_KEY, value);
  },
};
