// Deterministic, realistic-enough text for the generated inbox: a seeded PRNG, a support
// vocabulary whose word frequencies follow Zipf's law (a few words in most messages, a long tail
// of rare ones), people, addresses and order numbers (the rare terms people search for).

/** mulberry32: small, fast, good enough for test data; the same seed gives the same dataset. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

/** The most frequent words of a support inbox, most frequent first. */
const HEAD_WORDS = `the to and i a my you is for of it in order have this on not with please be can that was
hi hello thanks thank your we are but when delivery package refund account help would like
an at from get any me will there still received as need do if so what since week could payment
card invoice shipping return item email phone number days problem issue update status tracking
cancel subscription password login app error support service customer price charged twice
address change product broken wrong size color replacement warranty store online website
message reply urgent waiting again last yesterday today tomorrow morning afternoon monday
friday weekend kind regards best team manager contact call back soon possible information`.split(/\s+/);

const SYLLABLES = 'ka lo mi ra ten vos dar pel qui nor sta bre fin gal hom jur lek mon pas rit sul tor vin wex yar zol'.split(' ');

const FIRST_NAMES = `Ana Ben Chloe David Emma Farid Grace Hugo Ines Jonas Kira Liam Maya Noah Olga Pavel Quinn Rosa
Sami Tara Umar Vera Wei Xenia Yusuf Zoe Amelie Bruno Carla Dmitri Elena Felix Greta Hannah Ivan Julia Karim Lena
Marco Nina Oscar Paula Rafael Sofia Tomas Ursula Victor Wanda Yara Zeno`.split(/\s+/);
const LAST_NAMES = `Smith Garcia Müller Rossi Dubois Kowalski Novak Silva Jensen Berg Costa Fischer Weber Moreau
Lopez Martin Bauer Horvat Nagy Popescu Ivanova Petrov Schmidt Wagner Becker Hoffmann Klein Wolf Schulz Neumann
Schwarz Zimmermann Braun Krüger Hartmann Lange Werner Krause Lehmann Köhler Maier Walter Peters Fuchs Vogel
Roth Frank Beck Lorenz Haas Sommer Kaiser Brandt Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer`.split(/\s+/);
const DOMAINS = ['example.com', 'mail.test', 'customer.test', 'inbox.test', 'acme.test', 'globex.test', 'initech.test'];

const SUBJECTS = [
  'Where is my order {order}?',
  'Refund for order {order}',
  'Problem with my payment',
  'Package {order} arrived broken',
  'Cannot log in to my account',
  'Question about invoice {order}',
  'Wrong size delivered',
  'Cancel my subscription',
  'Charged twice for order {order}',
  'Tracking number not working',
  'Change delivery address for {order}',
  'Warranty claim',
  'Hello',
  'Re: your last message',
];

export function vocabulary(size, random) {
  const words = [...new Set(HEAD_WORDS)];
  const seen = new Set(words);
  while (words.length < size) {
    const parts = 2 + random.int(3);
    let word = '';
    for (let i = 0; i < parts; i += 1) word += random.pick(SYLLABLES);
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words;
}

/** Samples ranks 0..n-1 with P(rank) ∝ 1/(rank+1)^s, by binary search on the cumulative weights. */
export function zipf(n, s, random) {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i += 1) {
    total += 1 / (i + 1) ** s;
    cumulative[i] = total;
  }
  return () => {
    const x = random.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function textSource(seed, { vocabularySize = 20_000 } = {}) {
  const random = rng(seed);
  const words = vocabulary(vocabularySize, random);
  const rank = zipf(words.length, 1.07, random);
  const sentence = (count) => {
    const out = new Array(count);
    for (let i = 0; i < count; i += 1) out[i] = words[rank()];
    return out.join(' ');
  };
  return {
    random,
    words,
    person(index) {
      const first = FIRST_NAMES[index % FIRST_NAMES.length];
      const last = LAST_NAMES[Math.floor(index / FIRST_NAMES.length) % LAST_NAMES.length];
      const domain = DOMAINS[index % DOMAINS.length];
      return { name: `${first} ${last}`, address: `${first}.${last}.${index}@${domain}`.toLowerCase() };
    },
    orderNumber: (conversationIndex) => String(10_000_000 + conversationIndex * 7),
    subject(order) {
      return random.pick(SUBJECTS).replace('{order}', order);
    },
    /** A message body of about 25 words (~170 bytes); sometimes mentions the order or a tracking code. */
    body(order) {
      let text = sentence(12 + random.int(26));
      if (random.chance(0.3)) text += ` order ${order}`;
      if (random.chance(0.05)) text += ` tracking ZX${Math.floor(random.next() * 1e9)}`;
      return text;
    },
  };
}
