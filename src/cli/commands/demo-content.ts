/**
 * What `parley demo` puts in the inbox: De Spaak, a bicycle shop in Utrecht with a shop floor, a
 * workshop and a webshop, three weeks into using Parley. Customers write in Dutch and English.
 *
 * Every address of a customer is under a reserved example domain (RFC 2606), so nothing of the
 * demo can reach a real person. The ids (`id` of an inbound message) make the Message-IDs and
 * external message ids: they must never change, or a second run would add the message again.
 */

export type AgentKey = 'admin' | 'sanne' | 'daan' | 'emma' | 'tom';
export type InboxKey = 'support' | 'verkoop' | 'werkplaats';

/** How long before the demo runs a step happens. */
export interface Ago {
  days: number;
  hours?: number;
  minutes?: number;
}

export interface Person {
  name: string;
  address: string;
}

export interface DemoAgent {
  key: Exclude<AgentKey, 'admin'>;
  name: string;
  email: string;
  role: 'admin' | 'agent';
}

export interface DemoInbox {
  key: InboxKey;
  name: string;
  /** null: the default inbox (its address is PARLEY_INBOX_EMAIL). */
  emailAddress: string | null;
  members: AgentKey[];
}

export interface DemoAttachment {
  filename: string;
  contentType: string;
  content: () => Buffer;
}

export type DemoStep =
  | { type: 'email'; id: string; at: Ago; from: Person; subject: string; text: string; html?: string; attachment?: DemoAttachment }
  | { type: 'api'; id: string; at: Ago; from: Person; subject?: string; text: string }
  | { type: 'compose'; at: Ago; by: AgentKey; to: Person; subject: string; text: string }
  | { type: 'assign'; at: Ago; by: AgentKey; to: AgentKey | 'bot' }
  | { type: 'comment'; at: Ago; by: AgentKey; text: string }
  | { type: 'reply'; at: Ago; by: AgentKey; text: string }
  | { type: 'ticket'; at: Ago; by: AgentKey; name: string }
  | { type: 'close'; at: Ago; by: AgentKey; closeTicket?: boolean }
  | { type: 'spam' | 'block' | 'trash'; at: Ago; by: AgentKey };

/**
 * One conversation, its steps in the order they happen. The first step starts it (an inbound
 * message or a composed email). Steps only ever move a conversation forward (nothing is undone
 * later), so a step whose effect is already there can be skipped on a second run.
 */
export interface DemoConversation {
  key: string;
  inbox: InboxKey;
  steps: DemoStep[];
}

export interface DemoCustomView {
  inbox: InboxKey;
  name: string;
  filters: Record<string, string>;
}

export const COMPANY = { name: 'De Spaak', domain: 'despaak.example' };

export const DEMO_AGENTS: readonly DemoAgent[] = [
  { key: 'sanne', name: 'Sanne de Vries', email: 'sanne@despaak.example', role: 'agent' },
  { key: 'daan', name: 'Daan Bakker', email: 'daan@despaak.example', role: 'agent' },
  { key: 'emma', name: 'Emma Visser', email: 'emma@despaak.example', role: 'agent' },
  { key: 'tom', name: 'Tom Hughes', email: 'tom@despaak.example', role: 'agent' },
];

export const DEMO_INBOXES: readonly DemoInbox[] = [
  { key: 'support', name: 'Support', emailAddress: null, members: ['admin', 'sanne', 'daan', 'emma', 'tom'] },
  { key: 'verkoop', name: 'Verkoop', emailAddress: 'verkoop@despaak.example', members: ['admin', 'sanne', 'emma'] },
  { key: 'werkplaats', name: 'Werkplaats', emailAddress: 'werkplaats@despaak.example', members: ['admin', 'daan', 'tom'] },
];

export const DEMO_CUSTOM_VIEWS: readonly DemoCustomView[] = [
  // API-channel conversations have no built-in view of their own: the webshop's messages get one.
  { inbox: 'support', name: 'Webshop (open)', filters: { channel: 'api', status: 'open' } },
];

const jan: Person = { name: 'Jan de Boer', address: 'jan.deboer@example.com' };
const sarah: Person = { name: 'Sarah Thompson', address: 'sarah.thompson@example.org' };
const fatima: Person = { name: 'Fatima El Amrani', address: 'fatima.elamrani@example.net' };
const oliver: Person = { name: 'Oliver Bennett', address: 'oliver.bennett@example.org' };
const eva: Person = { name: 'Eva Smit', address: 'eva.smit@example.com' };
const henk: Person = { name: 'Henk Willems', address: 'henk.willems@example.net' };
const noah: Person = { name: 'Noah Mulder', address: 'noah.mulder@example.com' };
const kees: Person = { name: 'Kees van Dijk', address: 'kees.vandijk@example.net' };
const mark: Person = { name: 'Mark Stevens', address: 'mark@rank-rocket.example' };
const fietsDeals: Person = { name: 'FietsDeals', address: 'info@fietsdeals.example' };
const prijzen: Person = { name: 'Prijzenparadijs', address: 'winnaar@prijzenparadijs.example' };
const webshopTest: Person = { name: 'Webshopkoppeling (test)', address: 'webshop-test@despaak.example' };
const lotte: Person = { name: 'Lotte Hendriks', address: 'lotte.hendriks@example.com' };
const marloes: Person = { name: 'Marloes Jansen', address: 'm.jansen@kinderopvang-devlinder.example' };
const priya: Person = { name: 'Priya Sharma', address: 'priya.sharma@example.org' };
const claire: Person = { name: 'Claire Dubois', address: 'claire.dubois@leasepartner.example' };
const bram: Person = { name: 'Bram Kok', address: 'bram.kok@example.net' };
const wim: Person = { name: 'Wim de Graaf', address: 'wim.degraaf@example.com' };
const lukas: Person = { name: 'Lukas Weber', address: 'lukas.weber@example.net' };
const sophie: Person = { name: 'Sophie de Wit', address: 'sophie.dewit@example.org' };
const ahmed: Person = { name: 'Ahmed Yilmaz', address: 'ahmed.yilmaz@example.com' };

export const DEMO_CONVERSATIONS: readonly DemoConversation[] = [
  {
    key: 'remmen',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'remmen-1',
        at: { days: 16, hours: 5 },
        from: jan,
        subject: 'Remmen piepen na onderhoudsbeurt',
        text:
          'Goedemiddag,\n\nVorige week heb ik mijn Cortina bij jullie laten onderhouden. Sindsdien piepen de remmen ' +
          'flink, vooral als het nat is. Is dat normaal, of moet ik nog even langskomen?\n\nMet vriendelijke groet,\nJan de Boer',
      },
      { type: 'assign', at: { days: 16, hours: 4 }, by: 'admin', to: 'daan' },
      {
        type: 'comment',
        at: { days: 16, hours: 4 },
        by: 'admin',
        text: '@daan kun jij hiernaar kijken? De fiets was vorige week bij jou voor de grote beurt.',
      },
      {
        type: 'reply',
        at: { days: 16, hours: 2 },
        by: 'daan',
        text:
          'Hoi Jan,\n\nVervelend! Nieuwe remblokken moeten vaak nog even inrijden, maar piepen hoort er niet bij. ' +
          'Kom gerust langs, dan stellen we ze gratis opnieuw af. Het duurt een kwartiertje.\n\nGroet,\nDaan – werkplaats De Spaak',
      },
      {
        type: 'email',
        id: 'remmen-2',
        at: { days: 15, hours: 20 },
        from: jan,
        subject: 'Re: Remmen piepen na onderhoudsbeurt',
        text: 'Dank je Daan, ik kom donderdag na vijven even langs.\n\nJan',
      },
    ],
  },
  {
    key: 'frame',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'frame-1',
        at: { days: 6, hours: 3 },
        from: sarah,
        subject: 'Cracked frame on my Gazelle – warranty?',
        text:
          'Hello,\n\nI bought a Gazelle Ultimate C8 from you last year. Yesterday I noticed a crack in the frame, right ' +
          'next to the bottom bracket. I have never had a crash with it.\n\n- Bought: 14 months ago (invoice attached)\n' +
          '- Frame number: GZ-2291-0457\n\nIs this covered by the warranty? I use the bike every day to get to work.\n\n' +
          'Kind regards,\nSarah Thompson',
        html:
          '<p>Hello,</p><p>I bought a <strong>Gazelle Ultimate C8</strong> from you last year. Yesterday I noticed a crack ' +
          'in the frame, right next to the bottom bracket. I have never had a crash with it.</p>' +
          '<ul><li>Bought: 14 months ago (invoice attached)</li><li>Frame number: <code>GZ-2291-0457</code></li></ul>' +
          '<p>Is this covered by the warranty? I use the bike every day to get to work.</p><p>Kind regards,<br>Sarah Thompson</p>',
        attachment: {
          filename: 'invoice-DS-2025-0412.pdf',
          contentType: 'application/pdf',
          content: () =>
            textPdf([
              'De Spaak - fietsen en onderhoud, Utrecht',
              '',
              'INVOICE DS-2025-0412',
              'Customer: Sarah Thompson',
              '',
              '1 x Gazelle Ultimate C8, frame GZ-2291-0457     EUR 2,299.00',
              '1 x Frame lock ART-2                           EUR    59.95',
              '',
              'Total (incl. 21% VAT)                          EUR 2,358.95',
              'Paid by debit card. Thank you for your purchase!',
            ]),
        },
      },
      { type: 'assign', at: { days: 6, hours: 2 }, by: 'admin', to: 'admin' },
      { type: 'ticket', at: { days: 6, hours: 2 }, by: 'admin', name: 'Garantieclaim frame Gazelle (Sarah Thompson)' },
      {
        type: 'comment',
        at: { days: 6, hours: 1 },
        by: 'tom',
        text: "@admin I checked her photos: it looks like a weld fault, not crash damage. Gazelle usually accepts these, I'll call their dealer line.",
      },
      {
        type: 'reply',
        at: { days: 5, hours: 22 },
        by: 'admin',
        text:
          'Hi Sarah,\n\nThanks for the invoice. We have filed a warranty claim with Gazelle. Could you bring the bike in? ' +
          'You can ride a loan bike of ours while the frame is being replaced.\n\nBest regards,\nDe Spaak',
      },
      {
        type: 'email',
        id: 'frame-2',
        at: { days: 5, hours: 20 },
        from: sarah,
        subject: 'Re: Cracked frame on my Gazelle – warranty?',
        text: "Great, thank you! I'll drop it off on Saturday morning. Is the loan bike an e-bike, by any chance?\n\nSarah",
      },
    ],
  },
  {
    key: 'bestelling',
    inbox: 'support',
    steps: [
      {
        type: 'api',
        id: 'bestelling-1',
        at: { days: 3, hours: 6 },
        from: fatima,
        subject: 'Webshop: waar blijft mijn bestelling #10234?',
        text: 'Hoi, ik heb vorige week een fietstas en een slot besteld (bestelling #10234), maar ik heb nog niets ontvangen. Is het al verzonden?',
      },
      { type: 'assign', at: { days: 3, hours: 5 }, by: 'admin', to: 'sanne' },
      {
        type: 'reply',
        at: { days: 3, hours: 5 },
        by: 'sanne',
        text: 'Hoi Fatima, je bestelling is gisteren met PostNL verzonden, track & trace: 3SDSPK1023400. Morgen zou hij er moeten zijn. Groetjes, Sanne',
      },
      { type: 'api', id: 'bestelling-2', at: { days: 2, hours: 1 }, from: fatima, text: 'Binnen! Dank jullie wel.' },
      { type: 'close', at: { days: 2 }, by: 'sanne' },
    ],
  },
  {
    key: 'accu',
    inbox: 'support',
    steps: [
      {
        type: 'api',
        id: 'accu-1',
        at: { days: 1, hours: 2 },
        from: oliver,
        subject: 'Webshop: e-bike range in winter',
        text: "Hi! I'm looking at the Stella Livorno on your webshop. How far does its battery really go when it's freezing outside?",
      },
    ],
  },
  {
    key: 'onderhoud',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'onderhoud-1',
        at: { days: 0, hours: 1, minutes: 10 },
        from: eva,
        subject: 'Onderhoudsbeurt voor twee kinderfietsen',
        text:
          'Hallo,\n\nKan ik volgende week twee kinderfietsen (16 en 20 inch) brengen voor een onderhoudsbeurt? ' +
          'Bij de kleinste loopt de ketting steeds van het tandwiel.\n\nGroeten,\nEva Smit',
      },
    ],
  },
  {
    key: 'verhuur',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'verhuur-1',
        at: { days: 0, minutes: 35 },
        from: lukas,
        subject: 'Renting two bikes for three days',
        text:
          'Hello,\n\nMy wife and I are visiting Utrecht in May and would like to rent two city bikes from Friday to Sunday. ' +
          'Do we need to book in advance, and what does it cost?\n\nBest wishes,\nLukas Weber',
      },
    ],
  },
  {
    key: 'cadeaubon',
    inbox: 'support',
    steps: [
      {
        type: 'api',
        id: 'cadeaubon-1',
        at: { days: 1, hours: 9 },
        from: sophie,
        subject: 'Webshop: cadeaubon in de winkel gebruiken?',
        text: 'Ik heb een cadeaubon van jullie webshop gekregen. Kan ik die ook in de winkel gebruiken?',
      },
    ],
  },
  {
    key: 'sleutel',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'sleutel-1',
        at: { days: 3, hours: 2 },
        from: ahmed,
        subject: 'Sleutel van mijn AXA-ringslot kwijt',
        text:
          'Hallo,\n\nIk ben de sleutel van mijn AXA-ringslot kwijt en de fiets staat nu op slot in de stalling. ' +
          'Het sleutelnummer heb ik nog wel. Kunnen jullie een nieuwe sleutel bestellen of het slot openmaken?\n\nAhmed',
      },
    ],
  },
  {
    key: 'bedankt',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'bedankt-1',
        at: { days: 9, hours: 4 },
        from: henk,
        subject: 'Bedankt voor de snelle reparatie!',
        text: 'Beste mensen van De Spaak,\n\nMijn fiets was binnen een uur gemaakt, terwijl ik op de trein moest wachten. Top service!\n\nHenk Willems',
      },
      { type: 'assign', at: { days: 9, hours: 3 }, by: 'daan', to: 'daan' },
      { type: 'comment', at: { days: 9, hours: 3 }, by: 'daan', text: 'Leuk om te lezen! @sanne wil jij hem op de reviewpagina zetten?' },
      { type: 'close', at: { days: 9, hours: 1 }, by: 'daan' },
    ],
  },
  {
    key: 'helm',
    inbox: 'support',
    steps: [
      {
        type: 'api',
        id: 'helm-1',
        at: { days: 12, hours: 3 },
        from: noah,
        subject: 'Webshop: helm te klein, ruilen?',
        text: 'Ik heb een Abus-helm in maat M besteld maar hij is te klein. Kan ik hem ruilen voor maat L?',
      },
      { type: 'assign', at: { days: 12, hours: 2 }, by: 'admin', to: 'sanne' },
      { type: 'ticket', at: { days: 12, hours: 2 }, by: 'sanne', name: 'Retour helm Abus maat M → L' },
      {
        type: 'reply',
        at: { days: 12, hours: 1 },
        by: 'sanne',
        text: 'Hoi Noah, geen probleem! Je krijgt een retourlabel per mail. Zodra de helm binnen is, sturen we maat L op.',
      },
      { type: 'api', id: 'helm-2', at: { days: 10, hours: 5 }, from: noah, text: 'De nieuwe helm past perfect, bedankt!' },
      { type: 'close', at: { days: 10, hours: 4 }, by: 'sanne', closeTicket: true },
    ],
  },
  {
    key: 'ophalen',
    inbox: 'support',
    steps: [
      {
        type: 'compose',
        at: { days: 0, hours: 3 },
        by: 'admin',
        to: kees,
        subject: 'Uw fiets is klaar om op te halen',
        text:
          'Beste meneer Van Dijk,\n\nUw Batavus is klaar. We hebben de ketting en het achtertandwiel vervangen; de kosten ' +
          'zijn EUR 89,50. U kunt hem ophalen tot 18:00 uur, zaterdag tot 17:00 uur.\n\nMet vriendelijke groet,\nDe Spaak',
      },
    ],
  },
  {
    key: 'seo',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'seo-1',
        at: { days: 4, hours: 7 },
        from: mark,
        subject: 'Page 1 on Google for despaak.example – guaranteed',
        text: 'Dear business owner,\n\nWe can put your shop on page 1 of Google within 30 days. Reply YES for a free audit!\n\nMark',
      },
      { type: 'spam', at: { days: 4, hours: 6 }, by: 'sanne' },
    ],
  },
  {
    key: 'nieuwsbrief',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'nieuwsbrief-1',
        at: { days: 2, hours: 9 },
        from: fietsDeals,
        subject: 'Nieuwsbrief: 50% korting op alle fietssloten',
        text: 'Alleen dit weekend: 50% korting op alle fietssloten! Bekijk de aanbiedingen op fietsdeals.example.',
        html: '<h1>Alleen dit weekend</h1><p><strong>50% korting</strong> op alle fietssloten!</p><p><a href="https://fietsdeals.example/sloten">Bekijk de aanbiedingen</a></p>',
      },
    ],
  },
  {
    key: 'prijs',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'prijs-1',
        at: { days: 8, hours: 2 },
        from: prijzen,
        subject: 'Gefeliciteerd! U heeft een e-bike gewonnen',
        text: 'Gefeliciteerd! U bent geselecteerd als winnaar van een e-bike. Klik op de link en vul uw bankgegevens in om uw prijs te claimen.',
      },
      { type: 'block', at: { days: 8, hours: 1 }, by: 'admin' },
    ],
  },
  {
    // Arrives after its sender was blocked: straight into Filtered.
    key: 'prijs-opnieuw',
    inbox: 'support',
    steps: [
      {
        type: 'email',
        id: 'prijs-opnieuw-1',
        at: { days: 1, hours: 8 },
        from: prijzen,
        subject: 'Laatste kans: claim vandaag nog uw prijs',
        text: 'Dit is uw laatste herinnering. Claim vandaag nog uw e-bike, anders gaat de prijs naar een andere winnaar.',
      },
    ],
  },
  {
    key: 'testbericht',
    inbox: 'support',
    steps: [
      {
        type: 'api',
        id: 'testbericht-1',
        at: { days: 7, hours: 3 },
        from: webshopTest,
        subject: 'Test webshopkoppeling',
        text: 'Testbericht van de nieuwe webshopkoppeling. Mag weg.',
      },
      { type: 'trash', at: { days: 7, hours: 2 }, by: 'admin' },
    ],
  },
  {
    key: 'zondag',
    inbox: 'support',
    steps: [
      {
        type: 'api',
        id: 'zondag-1',
        at: { days: 0, hours: 5 },
        from: lotte,
        subject: 'Webshop: fiets ophalen op zondag?',
        text: 'Kan ik mijn fiets ook op zondag ophalen? Doordeweeks werk ik tot zes uur.',
      },
      // The webshop's chatbot answers questions about opening hours.
      { type: 'assign', at: { days: 0, hours: 5 }, by: 'admin', to: 'bot' },
    ],
  },
  {
    key: 'bakfietsen',
    inbox: 'verkoop',
    steps: [
      {
        type: 'email',
        id: 'bakfietsen-1',
        at: { days: 11, hours: 4 },
        from: marloes,
        subject: 'Offerte 5 bakfietsen voor kinderopvang De Vlinder',
        text:
          'Beste heer/mevrouw,\n\nVoor onze drie locaties zoeken wij vijf elektrische bakfietsen waarin vier kinderen ' +
          'veilig mee kunnen. In de bijlage staan onze wensen. Kunt u ons een offerte sturen, inclusief onderhoudscontract?\n\n' +
          'Met vriendelijke groet,\nMarloes Jansen\nKinderopvang De Vlinder',
        attachment: {
          filename: 'wensenlijst-bakfietsen.csv',
          contentType: 'text/csv',
          content: () =>
            Buffer.from(
              'locatie;aantal;kinderen per fiets;extra\n' +
                'Lombok;2;4;regenhuif, extra gordels\n' +
                'Oudwijk;2;4;regenhuif\n' +
                'Leidsche Rijn;1;4;regenhuif, slot\n',
              'utf8',
            ),
        },
      },
      { type: 'assign', at: { days: 11, hours: 3 }, by: 'admin', to: 'emma' },
      { type: 'ticket', at: { days: 11, hours: 3 }, by: 'emma', name: 'Offerte De Vlinder: 5× Urban Arrow Family' },
      { type: 'comment', at: { days: 11, hours: 2 }, by: 'emma', text: '@sanne kun jij bij Urban Arrow navragen of levering in week 14 lukt?' },
      { type: 'comment', at: { days: 10, hours: 6 }, by: 'sanne', text: '@emma Urban Arrow bevestigt week 14, als we voor de 1e bestellen.' },
      {
        type: 'reply',
        at: { days: 10, hours: 5 },
        by: 'emma',
        text:
          'Beste Marloes,\n\nDank voor uw aanvraag. Voor vijf Urban Arrow Family met regenhuif en extra gordels bieden wij ' +
          'EUR 4.649 per stuk, met 8% staffelkorting. Het onderhoudscontract kost EUR 15 per fiets per maand. ' +
          'Levering is mogelijk in week 14.\n\nMet vriendelijke groet,\nEmma Visser – De Spaak',
      },
    ],
  },
  {
    key: 'proefrit',
    inbox: 'verkoop',
    steps: [
      {
        type: 'api',
        id: 'proefrit-1',
        at: { days: 1, hours: 5 },
        from: priya,
        subject: 'Webshop: test ride a cargo bike on Saturday?',
        text: 'Hi, can I test ride a cargo bike this Saturday? We have two kids (3 and 5) and are new in Utrecht.',
      },
      { type: 'assign', at: { days: 1, hours: 4 }, by: 'admin', to: 'sanne' },
      {
        type: 'reply',
        at: { days: 1, hours: 4 },
        by: 'sanne',
        text: 'Hi Priya, of course! Saturday at 10:00 works well. Bring the kids along, then they can try the seats too. See you, Sanne',
      },
      { type: 'api', id: 'proefrit-2', at: { days: 1, hours: 2 }, from: priya, text: 'Perfect, see you on Saturday!' },
    ],
  },
  {
    key: 'lease',
    inbox: 'werkplaats',
    steps: [
      {
        type: 'email',
        id: 'lease-1',
        at: { days: 5, hours: 6 },
        from: claire,
        subject: 'Damage report lease bike LB-2291',
        text:
          'Hello workshop team,\n\nOne of our employees fell with lease bike LB-2291 this morning. The gears no longer ' +
          'shift properly. Could you repair it under our service contract and send us the quote first?\n\nThanks,\nClaire Dubois\nFleet manager',
      },
      { type: 'assign', at: { days: 5, hours: 5 }, by: 'admin', to: 'daan' },
      { type: 'comment', at: { days: 5, hours: 4 }, by: 'tom', text: '@daan the derailleur hanger is bent; we have the part in stock.' },
    ],
  },
  {
    key: 'band',
    inbox: 'werkplaats',
    steps: [
      {
        type: 'api',
        id: 'band-1',
        at: { days: 0, hours: 6 },
        from: bram,
        subject: 'Webshop: lekke band, kan het vandaag nog?',
        text: 'Ik heb een lekke achterband. Kunnen jullie hem vandaag nog plakken? Ik heb de fiets morgenvroeg nodig.',
      },
      { type: 'assign', at: { days: 0, hours: 5, minutes: 50 }, by: 'daan', to: 'daan' },
      {
        type: 'reply',
        at: { days: 0, hours: 5, minutes: 45 },
        by: 'daan',
        text: 'Hoi Bram, breng hem maar voor 16:00, dan is hij klaar voor sluitingstijd. Groet, Daan',
      },
      { type: 'close', at: { days: 0, hours: 5, minutes: 40 }, by: 'daan' },
    ],
  },
  {
    key: 'trapas',
    inbox: 'werkplaats',
    steps: [
      {
        type: 'email',
        id: 'trapas-1',
        at: { days: 2, hours: 3 },
        from: wim,
        subject: 'Krakend geluid bij het trappen',
        text: 'Goedendag,\n\nBij elke trap hoor ik een krakend geluid, vooral als ik bergop fiets. Kunnen jullie daar naar kijken?\n\nWim de Graaf',
      },
    ],
  },
];

/**
 * A one-page PDF of plain lines (Courier, so columns line up; ASCII only) with a correct
 * cross-reference table, so the demo's attachment opens in any PDF reader.
 */
export function textPdf(lines: readonly string[]): Buffer {
  const escape = (line: string) => line.replace(/[\\()]/g, (c) => `\\${c}`);
  const text = lines.map((line) => `(${escape(line)}) Tj T*`).join('\n');
  const stream = `BT /F1 11 Tf 56 780 Td 16 TL\n${text}\nET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
