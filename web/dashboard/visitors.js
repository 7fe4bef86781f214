/*
 * Telling visitors apart in the dashboard. A guest who gave no name is "Guest" to the server,
 * so a list of them read "Guest, Guest, Guest": each gets a stable, readable label instead —
 * "Visitor 4821" — and a colour, both derived from its guest id, so the same visitor looks the
 * same in the list, the header, notifications and on every staff member's screen, until they
 * give a name. Only what is shown changes: the stored name stays "Guest".
 */

const GENERIC_NAMES = new Set(['', 'guest', 'guest user', 'visitor', 'anonymous']);

/** The name to show for a room's visitor: the one given, else "Visitor NNNN" from its id. */
export function displayName(room) {
  const meta = (room && room.metadata) || {};
  const given = String(meta.userName || '').trim();
  if (given && !GENERIC_NAMES.has(given.toLowerCase())) return given;
  return `Visitor ${1000 + (hash(visitorKey(room)) % 9000)}`;
}

/** A colour of the visitor's own (the list's and header's marker), from the same id. */
export function visitorColour(room) {
  return `hsl(${hash(visitorKey(room)) % 360} 60% 42%)`;
}

/** A small coloured disc with the label's first letter or digits, for the list and header. */
export function visitorMarker(room) {
  const name = displayName(room);
  const initial = name.startsWith('Visitor ') ? name.slice(8, 10) : name.slice(0, 1).toUpperCase();
  const marker = h('span', { className: 'visitor-marker', 'aria-hidden': 'true' }, initial);
  marker.style.backgroundColor = visitorColour(room);
  return marker;
}

function visitorKey(room) {
  const meta = (room && room.metadata) || {};
  return (meta.guestInfo && meta.guestInfo.guestId) || meta.userId || (room && room._id) || '';
}

/** FNV-1a (32 bits): the same id gives the same label in every browser. */
function hash(text) {
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}
