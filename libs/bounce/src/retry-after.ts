/**
 * Reads a wait out of a temporary failure's text: "try again in 5 minutes", "retry after 300
 * seconds", "Greylisted for 5m", "in 2 hours", "come back in 00:05:00". Returns seconds, or
 * undefined when the text names none ("try again later").
 */
export function parseRetryAfter(text: string): number | undefined {
  const seconds = withUnit(text) ?? clock(text);
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  // Capped at the 3-day retry window (SPEC 6): the schedule gives up by then anyway.
  return Math.min(seconds, MAX_WAIT_SECONDS);
}

const MAX_WAIT_SECONDS = 3 * 24 * 3600;

// "in/after/for/wait" then a number and a unit; the unit must end the word so "5 mins" and
// "5m" count but "5 messages" does not.
const WAIT =
  /\b(?:in|after|for|wait(?:ing)?)\s+(?:at least\s+|about\s+|another\s+)?(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b/i;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

// Some greylisters say "please come back in 00:05:00".
const CLOCK = /\b(?:in|after)\s+(\d{1,2}):(\d{2}):(\d{2})\b/i;

function withUnit(text: string): number | undefined {
  const match = WAIT.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_SECONDS[match[2][0].toLowerCase()] ?? 1));
}

function clock(text: string): number | undefined {
  const match = CLOCK.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}
