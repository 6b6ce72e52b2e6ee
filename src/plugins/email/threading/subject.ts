/**
 * Reply and forward markers that mail clients put in front of a subject: Re/Fw/Fwd (English),
 * AW/WG (German), SV/VS/VB (Nordic), Antw/Doorst (Dutch), TR/RE (French), RIF (Italian),
 * RV/ENC/RES (Spanish, Portuguese), Odp/PD (Polish), YNT/İLT (Turkish), Odg (Croatian),
 * Ответ/Отв/Пересл (Russian), 回复/转发/答复/回覆/轉寄 (Chinese), 返信/転送 (Japanese). A counter
 * (`Re[2]:`, `Re(3):`, `Re^2:`) may follow the marker.
 */
const MARKER =
  /^\s*(?:(?:re|fwd?|aw|wg|sv|vs|vb|antw|doorst|tr|rif|rv|enc|res|odp|pd|ynt|i̇lt|ilt|odg|ответ|отв|пересл)(?:\s*(?:\[\d+\]|\(\d+\)|\^\d+))?|回复|转发|答复|回覆|轉寄|返信|転送)\s*[:：]\s*/iu;
/** Italian Outlook writes "R:" and "I:"; short enough to clash with real subjects, so upper case only. */
const ITALIAN_MARKER = /^\s*[RI]\s*:\s*/u;

/** A thread subject as compared by the subject fallback: markers stripped, spacing collapsed, lower case. */
export function normaliseSubject(subject: string | undefined | null): { subject: string; hadMarker: boolean } {
  let rest = (subject ?? '').normalize('NFC');
  let hadMarker = false;
  for (let i = 0; i < 20; i += 1) {
    const match = MARKER.exec(rest) ?? ITALIAN_MARKER.exec(rest);
    if (!match) break;
    hadMarker = true;
    rest = rest.slice(match[0].length);
  }
  return { subject: rest.replace(/\s+/g, ' ').trim().toLowerCase(), hadMarker };
}
