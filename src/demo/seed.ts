import type { PortalSeed } from 'b24-emulator';

/**
 * The demo portal: an administrator, twelve operators in two departments in mixed states,
 * two open lines (sales: evenly, with CRM routing; support: strictly in order with a
 * timeout), and a CRM whose contacts have responsible managers.
 */
export function demoSeed(lang: 'ru' | 'en'): PortalSeed {
  const ru = lang === 'ru';
  const people: [string, string, string, string][] = [
    ['Анна', 'Смирнова', 'Anna', 'Smith'],
    ['Борис', 'Иванов', 'Boris', 'Evans'],
    ['Вера', 'Петрова', 'Vera', 'Parker'],
    ['Глеб', 'Соколов', 'Glen', 'Scott'],
    ['Дарья', 'Кузнецова', 'Daria', 'Cooper'],
    ['Егор', 'Попов', 'Egor', 'Price'],
    ['Жанна', 'Лебедева', 'Jane', 'Lewis'],
    ['Захар', 'Козлов', 'Zack', 'Collins'],
    ['Инна', 'Новикова', 'Inna', 'Norris'],
    ['Кирилл', 'Морозов', 'Cyril', 'Moore'],
    ['Лиза', 'Волкова', 'Liza', 'Walker'],
    ['Марк', 'Соловьёв', 'Mark', 'Shaw'],
  ];
  const users: PortalSeed['users'] = [
    {
      id: 1,
      name: ru ? 'Ольга' : 'Olga',
      lastName: ru ? 'Админова' : 'Adams',
      admin: true,
      departments: [1],
    },
  ];
  people.forEach(([rn, rl, en, el], i) => {
    const id = i + 2;
    users.push({
      id,
      name: ru ? rn : en,
      lastName: ru ? rl : el,
      departments: [id <= 7 ? 2 : 3],
      workPosition:
        id <= 7
          ? ru
            ? 'Менеджер по продажам'
            : 'Sales manager'
          : ru
            ? 'Оператор поддержки'
            : 'Support agent',
      // Mixed states: most at work, one on a break, one with the workday closed, one away.
      online: id !== 6,
      timeman: id === 5 ? 'PAUSED' : id === 11 ? 'CLOSED' : 'OPENED',
      absentUntil: id === 9 ? new Date(Date.now() + 5 * 86400_000).toISOString() : null,
    });
  });
  return {
    departments: [
      { id: 1, name: ru ? 'Компания' : 'Company', parent: null, headId: 1 },
      { id: 2, name: ru ? 'Отдел продаж' : 'Sales', parent: 1, headId: 2 },
      { id: 3, name: ru ? 'Поддержка' : 'Support', parent: 1, headId: 8 },
    ],
    users,
    lines: [
      {
        id: 1,
        name: ru ? 'Продажи: сайт и мессенджеры' : 'Sales: website and messengers',
        queue: [{ type: 'department', id: 2 }],
        config: {
          QUEUE_TYPE: 'evenly',
          CRM: 'Y',
          CRM_FORWARD: 'Y',
          CHECK_AVAILABLE: 'Y',
          MAX_CHAT: '4',
          TYPE_MAX_CHAT: 'answered',
          // The portal does not move the lead on a transfer here: the app's one-owner policy does.
          CRM_TRANSFER_CHANGE: 'N',
        },
      },
      {
        id: 2,
        name: ru ? 'Поддержка' : 'Support',
        queue: [8, 9, 10, 11, 12, 13],
        config: { QUEUE_TYPE: 'strictly', QUEUE_TIME: '60', CHECK_AVAILABLE: 'Y', MAX_CHAT: '3' },
      },
    ],
    contacts: [
      {
        id: 101,
        name: ru ? 'Игорь' : 'Igor',
        lastName: ru ? 'Клиентов' : 'Client',
        assignedById: 3,
        phone: '+7 900 000-01-01',
      },
      {
        id: 102,
        name: ru ? 'Мария' : 'Maria',
        lastName: ru ? 'Покупаева' : 'Buyer',
        assignedById: 4,
        phone: '+7 900 000-01-02',
      },
      {
        id: 103,
        name: ru ? 'Пётр' : 'Peter',
        lastName: ru ? 'Заказов' : 'Order',
        assignedById: 5,
        email: 'peter@client.example',
      },
    ],
  };
}
