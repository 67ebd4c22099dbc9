/**
 * Text of a real, international workspace for the generator's realistic mode: people, places, devices,
 * campaigns and custom events in CJK, Cyrillic, Arabic, Devanagari, accented Latin and emoji; custom property
 * values with quotes, backslashes and control characters; nested objects and arrays; and JSON written the way
 * other producers write it (every non-ASCII character as a \u escape). Benchmarks on ASCII-only data hide the slow
 * paths this text takes, so the bench corpus uses it by default.
 */
import type { EventContext } from './event-context';
import type { Prng } from './prng';

export interface InternationalPerson {
  firstName: string;
  lastName: string;
  city: string;
  country: string;
  timezone: string;
  language: string;
  /** Mail-safe local part for the e-mail address (addresses stay ASCII, as most providers require). */
  mailName: string;
}

const PEOPLE: Array<Omit<InternationalPerson, 'mailName'> & { mail: string }> = [
  { firstName: '陽翔', lastName: '佐藤', city: '東京', country: 'JP', timezone: 'Asia/Tokyo', language: 'ja', mail: 'haruto.sato' },
  { firstName: '美咲', lastName: '高橋', city: '大阪', country: 'JP', timezone: 'Asia/Tokyo', language: 'ja', mail: 'misaki.takahashi' },
  { firstName: '伟', lastName: '王', city: '上海', country: 'CN', timezone: 'Asia/Shanghai', language: 'zh', mail: 'wei.wang' },
  { firstName: '秀英', lastName: '李', city: '北京', country: 'CN', timezone: 'Asia/Shanghai', language: 'zh', mail: 'xiuying.li' },
  { firstName: '민준', lastName: '김', city: '서울', country: 'KR', timezone: 'Asia/Seoul', language: 'ko', mail: 'minjun.kim' },
  { firstName: 'Анастасия', lastName: 'Смирнова', city: 'Москва', country: 'RU', timezone: 'Europe/Moscow', language: 'ru', mail: 'anastasia.smirnova' },
  { firstName: 'Дмитрий', lastName: 'Иванов', city: 'Санкт-Петербург', country: 'RU', timezone: 'Europe/Moscow', language: 'ru', mail: 'dmitry.ivanov' },
  { firstName: 'Олена', lastName: 'Шевченко', city: 'Київ', country: 'UA', timezone: 'Europe/Kyiv', language: 'uk', mail: 'olena.shevchenko' },
  { firstName: 'محمد', lastName: 'العلي', city: 'دبي', country: 'AE', timezone: 'Asia/Dubai', language: 'ar', mail: 'mohammed.alali' },
  { firstName: 'आरव', lastName: 'शर्मा', city: 'मुंबई', country: 'IN', timezone: 'Asia/Kolkata', language: 'hi', mail: 'aarav.sharma' },
  { firstName: 'José', lastName: 'Muñoz', city: 'Málaga', country: 'ES', timezone: 'Europe/Madrid', language: 'es', mail: 'jose.munoz' },
  { firstName: 'Zoë', lastName: 'Lefèvre', city: 'Besançon', country: 'FR', timezone: 'Europe/Paris', language: 'fr', mail: 'zoe.lefevre' },
  { firstName: 'Jürgen', lastName: 'Größ', city: 'München', country: 'DE', timezone: 'Europe/Berlin', language: 'de', mail: 'juergen.gross' },
  { firstName: 'João', lastName: 'Gonçalves', city: 'São Paulo', country: 'BR', timezone: 'America/Sao_Paulo', language: 'pt', mail: 'joao.goncalves' },
  { firstName: 'Łukasz', lastName: 'Wiśniewski', city: 'Łódź', country: 'PL', timezone: 'Europe/Warsaw', language: 'pl', mail: 'lukasz.wisniewski' },
  { firstName: 'Søren', lastName: 'Ørsted', city: 'Aarhus', country: 'DK', timezone: 'Europe/Copenhagen', language: 'da', mail: 'soren.orsted' },
];

export const INTERNATIONAL_DEVICE_MODELS = ['小米 14 Ultra', 'Galaxy S24（国行）', 'HUAWEI Mate 60 Pro＋', 'Redmi Note 13 Pro 5G ⚡', 'Xperia 1 Ⅵ', 'iPhone 15 Pro (日本版)', 'Телефон Honor X9b', 'OPPO Find X7 · 限定版'];

export const INTERNATIONAL_CAMPAIGN_NAMES = ['春のセール 🌸', 'Добро пожаловать!', 'Rappel panier — « dernière chance »', '黑五预热 🔥 限时', 'Ofertas de verão ☀️', 'رمضان كريم 🌙', 'Neuer Stil für Größe XL', '회원 등급 상향 🎉'];
export const INTERNATIONAL_CANVAS_NAMES = ['新規ユーザーのオンボーディング', 'Возвращение пользователей ↩️', 'Parcours après-achat ✓', '试用转化旅程', 'Jornada de aniversário 🎂', 'VIP-Betreuung “Gold”'];

type PropertyMaker = (c: EventContext) => Record<string, unknown>;

/** Custom events named and shaped by teams in other languages (keys in their language too). */
const CUSTOM_EVENTS: Record<string, PropertyMaker> = {
  'カートに追加': (c) => ({ '商品ID': c.product.id, '数量': c.rng.int(1, 4), '価格': c.product.price, 'カテゴリー': c.rng.pick(['靴', 'アウター', '雑貨']) }),
  'Добавил в избранное ❤️': (c) => ({ 'товар': c.product.id, 'цвет': c.rng.pick(['красный', 'синий', 'зелёный']), 'размер': c.rng.pick(['S', 'M', 'XL']) }),
  'niveau_terminé 🎉': (c) => ({ niveau: c.rng.int(1, 60), 'scoré': c.rng.int(100, 99000), 'bonus_utilisés': [c.rng.pick(['bombe', 'mélange', 'coups supplémentaires'])] }),
  '🎁 regalo_enviado': (c) => ({ destinatario: c.rng.pick(['mamá', 'José', 'Zoë']), mensaje: c.rng.pick(['¡Feliz cumpleaños! 🎂', 'Para ti ❤️', '¿Te gusta?']) }),
  '文章分享': (c) => ({ '文章编号': `a-${c.rng.hex(3)}`, '渠道': c.rng.pick(['微信', '微博', '复制链接']) }),
};
export const INTERNATIONAL_CUSTOM_EVENT_NAMES = Object.keys(CUSTOM_EVENTS);

/** Values that need JSON escapes: quotes, backslashes, control characters, a lone emoji. */
const ESCAPE_HEAVY_VALUES = [
  'she said "bring the \\"good\\" one"',
  'C:\\Users\\zoë\\Downloads\\receipt.pdf',
  'line one\nline two\ttabbed\r\n',
  '{"looks": "like json"} but is a string',
  'bell \u0007 and null-ish \u0001 controls',
  '🙂 / ／ \u2028 separator',
];

export function internationalPerson(rng: Prng): InternationalPerson {
  const p = rng.pick(PEOPLE);
  return { firstName: p.firstName, lastName: p.lastName, city: p.city, country: p.country, timezone: p.timezone, language: p.language, mailName: p.mail };
}

/** The properties object of an international custom event (or of any custom event, with its own maker). */
export function internationalCustomProperties(c: EventContext): Record<string, unknown> | undefined {
  const make = CUSTOM_EVENTS[c.customEventName];
  return make ? make(c) : undefined;
}

/** Adds escape-heavy values and, when asked, nested objects and arrays to a properties object. */
export function enrichProperties(c: EventContext, props: Record<string, unknown>): Record<string, unknown> {
  const out = { ...props };
  if (c.text.escapes) {
    out.note = c.rng.pick(ESCAPE_HEAVY_VALUES);
    out['Kommentar „intern“'] = c.rng.pick(ESCAPE_HEAVY_VALUES);
  }
  if (c.text.nested) {
    out.cart = {
      items: [
        { sku: c.product.id, qty: c.rng.int(1, 3), price: c.product.price, options: { color: c.rng.pick(['red', '赤', 'красный']), gift: c.rng.chance(0.3) } },
        { sku: `sku-${c.rng.hex(3)}`, qty: 1, price: Math.round(c.rng.float() * 5000) / 100, options: null },
      ],
      coupon: c.rng.chance(0.4) ? { code: c.rng.pick(['SPRING10', 'ÉTÉ-20', '春10']), percent: c.rng.pick([10, 20]) } : null,
    };
    out.tags = [c.rng.pick(['vip', 'новый', '常連']), c.rng.pick(['app', 'web'])];
  }
  return out;
}

/** JSON the way Python's json.dumps writes it by default: ", " / ": " separators and ASCII only (\uXXXX). */
export function asciiEscapedJson(obj: Record<string, unknown>): string {
  return '{' + Object.entries(obj).map(([k, v]) => `${asciiOnly(JSON.stringify(k))}: ${asciiOnly(JSON.stringify(v))}`).join(', ') + '}';
}

/** JSON text with every non-ASCII character written as a \uXXXX escape (what ensure_ascii producers emit). */
export function asciiOnly(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
