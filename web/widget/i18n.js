/*
 * The widget's words in the visitor's language. The language is the script tag's data-locale,
 * else the host page's <html lang>, else the browser's; a tag without a catalog falls back to its
 * language (pt-BR -> pt), then to English. Arabic is laid out right to left. The chosen tag is
 * also sent on join (chat:join-room's locale), so the business's auto-responses come in it.
 * Times are formatted by Intl in the same language (formatTime in lib/dom.js).
 */

const WIDGET_STRINGS = {
  en: {
    title: 'Chat with us', launcher: 'Chat', guest: 'Guest', openChat: 'Open chat', closeChat: 'Close chat',
    openChatUnread: 'Open chat, {n} unread', conversation: 'Conversation',
    closed: 'This conversation was closed. Write a message to open it again.',
    empty: 'Hi! Ask us anything — we usually reply within a few minutes.',
    message: 'Message', placeholder: 'Type a message…', send: 'Send', unavailable: 'This chat is not available.',
    typing: '{name} is typing…', support: 'Support', you: 'You', automaticAnswer: 'Automatic answer',
    automaticMessage: 'Automatic message', notSent: 'Not sent', retry: 'Retry', delete: 'Delete', sending: 'Sending…',
    waiting: 'Waiting for connection…', seen: 'Seen', sent: 'Sent',
    idle: 'We reply as soon as we can', connecting: 'Connecting…', online: 'Online', reconnecting: 'Reconnecting…',
    offline: 'Offline', refused: 'Unavailable',
    emailToggle: 'Get the answer by email', email: 'Email', save: 'Save', changeEmail: 'Change your email',
    alsoReply: 'We will also reply to {email}.', badEmail: 'Please enter a valid email address.', saving: 'Saving…',
    thanksEmail: 'Thanks! We will also reply to {email}.', notConnected: 'Not connected; try again in a moment.',
    rateQuestion: 'How was this conversation?', rating: 'Rating', star1: '1 star', star2: '2 stars', star3: '3 stars',
    star4: '4 stars', star5: '5 stars', comment: 'Comment (optional)', commentPlaceholder: 'Anything to add? (optional)',
    thanksRating: 'Thanks for your feedback',
  },
  de: {
    title: 'Schreiben Sie uns', launcher: 'Chat', guest: 'Gast', openChat: 'Chat öffnen', closeChat: 'Chat schließen',
    openChatUnread: 'Chat öffnen, {n} ungelesen', conversation: 'Unterhaltung',
    closed: 'Diese Unterhaltung wurde beendet. Schreiben Sie eine Nachricht, um sie wieder zu öffnen.',
    empty: 'Hallo! Fragen Sie uns alles – wir antworten meist innerhalb weniger Minuten.',
    message: 'Nachricht', placeholder: 'Nachricht eingeben…', send: 'Senden', unavailable: 'Dieser Chat ist nicht verfügbar.',
    typing: '{name} schreibt…', support: 'Support', you: 'Sie', automaticAnswer: 'Automatische Antwort',
    automaticMessage: 'Automatische Nachricht', notSent: 'Nicht gesendet', retry: 'Erneut senden', delete: 'Löschen',
    sending: 'Wird gesendet…', waiting: 'Warte auf Verbindung…', seen: 'Gelesen', sent: 'Gesendet',
    idle: 'Wir antworten so bald wie möglich', connecting: 'Verbinde…', online: 'Online', reconnecting: 'Verbinde erneut…',
    offline: 'Offline', refused: 'Nicht verfügbar',
    emailToggle: 'Antwort per E-Mail erhalten', email: 'E-Mail', save: 'Speichern', changeEmail: 'E-Mail ändern',
    alsoReply: 'Wir antworten auch an {email}.', badEmail: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
    saving: 'Wird gespeichert…', thanksEmail: 'Danke! Wir antworten auch an {email}.',
    notConnected: 'Keine Verbindung; bitte gleich noch einmal versuchen.',
    rateQuestion: 'Wie war diese Unterhaltung?', rating: 'Bewertung', star1: '1 Stern', star2: '2 Sterne',
    star3: '3 Sterne', star4: '4 Sterne', star5: '5 Sterne', comment: 'Kommentar (optional)',
    commentPlaceholder: 'Möchten Sie etwas ergänzen? (optional)', thanksRating: 'Danke für Ihr Feedback',
  },
  fr: {
    title: 'Discutons', launcher: 'Chat', guest: 'Invité', openChat: 'Ouvrir le chat', closeChat: 'Fermer le chat',
    openChatUnread: 'Ouvrir le chat, {n} non lu(s)', conversation: 'Conversation',
    closed: 'Cette conversation est terminée. Écrivez un message pour la rouvrir.',
    empty: 'Bonjour ! Posez-nous vos questions — nous répondons en général en quelques minutes.',
    message: 'Message', placeholder: 'Écrivez un message…', send: 'Envoyer', unavailable: 'Ce chat n’est pas disponible.',
    typing: '{name} écrit…', support: 'Support', you: 'Vous', automaticAnswer: 'Réponse automatique',
    automaticMessage: 'Message automatique', notSent: 'Non envoyé', retry: 'Réessayer', delete: 'Supprimer',
    sending: 'Envoi…', waiting: 'En attente de connexion…', seen: 'Lu', sent: 'Envoyé',
    idle: 'Nous répondons dès que possible', connecting: 'Connexion…', online: 'En ligne', reconnecting: 'Reconnexion…',
    offline: 'Hors ligne', refused: 'Indisponible',
    emailToggle: 'Recevoir la réponse par e-mail', email: 'E-mail', save: 'Enregistrer', changeEmail: 'Changer d’e-mail',
    alsoReply: 'Nous répondrons aussi à {email}.', badEmail: 'Veuillez saisir une adresse e-mail valide.',
    saving: 'Enregistrement…', thanksEmail: 'Merci ! Nous répondrons aussi à {email}.',
    notConnected: 'Pas de connexion ; réessayez dans un instant.',
    rateQuestion: 'Comment s’est passée cette conversation ?', rating: 'Note', star1: '1 étoile', star2: '2 étoiles',
    star3: '3 étoiles', star4: '4 étoiles', star5: '5 étoiles', comment: 'Commentaire (facultatif)',
    commentPlaceholder: 'Quelque chose à ajouter ? (facultatif)', thanksRating: 'Merci pour votre avis',
  },
  es: {
    title: 'Hablemos', launcher: 'Chat', guest: 'Invitado', openChat: 'Abrir el chat', closeChat: 'Cerrar el chat',
    openChatUnread: 'Abrir el chat, {n} sin leer', conversation: 'Conversación',
    closed: 'Esta conversación se cerró. Escribe un mensaje para abrirla de nuevo.',
    empty: '¡Hola! Pregúntanos lo que quieras: solemos responder en pocos minutos.',
    message: 'Mensaje', placeholder: 'Escribe un mensaje…', send: 'Enviar', unavailable: 'Este chat no está disponible.',
    typing: '{name} está escribiendo…', support: 'Soporte', you: 'Tú', automaticAnswer: 'Respuesta automática',
    automaticMessage: 'Mensaje automático', notSent: 'No enviado', retry: 'Reintentar', delete: 'Eliminar',
    sending: 'Enviando…', waiting: 'Esperando conexión…', seen: 'Visto', sent: 'Enviado',
    idle: 'Respondemos lo antes posible', connecting: 'Conectando…', online: 'En línea', reconnecting: 'Reconectando…',
    offline: 'Sin conexión', refused: 'No disponible',
    emailToggle: 'Recibir la respuesta por correo', email: 'Correo', save: 'Guardar', changeEmail: 'Cambiar el correo',
    alsoReply: 'También responderemos a {email}.', badEmail: 'Introduce un correo electrónico válido.',
    saving: 'Guardando…', thanksEmail: '¡Gracias! También responderemos a {email}.',
    notConnected: 'Sin conexión; inténtalo de nuevo en un momento.',
    rateQuestion: '¿Qué tal fue esta conversación?', rating: 'Valoración', star1: '1 estrella', star2: '2 estrellas',
    star3: '3 estrellas', star4: '4 estrellas', star5: '5 estrellas', comment: 'Comentario (opcional)',
    commentPlaceholder: '¿Algo que añadir? (opcional)', thanksRating: 'Gracias por tu opinión',
  },
  pt: {
    title: 'Fale conosco', launcher: 'Chat', guest: 'Visitante', openChat: 'Abrir o chat', closeChat: 'Fechar o chat',
    openChatUnread: 'Abrir o chat, {n} não lida(s)', conversation: 'Conversa',
    closed: 'Esta conversa foi encerrada. Escreva uma mensagem para reabri-la.',
    empty: 'Olá! Pergunte o que quiser — costumamos responder em poucos minutos.',
    message: 'Mensagem', placeholder: 'Digite uma mensagem…', send: 'Enviar', unavailable: 'Este chat não está disponível.',
    typing: '{name} está digitando…', support: 'Suporte', you: 'Você', automaticAnswer: 'Resposta automática',
    automaticMessage: 'Mensagem automática', notSent: 'Não enviada', retry: 'Tentar de novo', delete: 'Excluir',
    sending: 'Enviando…', waiting: 'Aguardando conexão…', seen: 'Vista', sent: 'Enviada',
    idle: 'Respondemos assim que possível', connecting: 'Conectando…', online: 'Online', reconnecting: 'Reconectando…',
    offline: 'Offline', refused: 'Indisponível',
    emailToggle: 'Receber a resposta por e-mail', email: 'E-mail', save: 'Salvar', changeEmail: 'Alterar o e-mail',
    alsoReply: 'Também responderemos para {email}.', badEmail: 'Digite um endereço de e-mail válido.',
    saving: 'Salvando…', thanksEmail: 'Obrigado! Também responderemos para {email}.',
    notConnected: 'Sem conexão; tente novamente em instantes.',
    rateQuestion: 'Como foi esta conversa?', rating: 'Avaliação', star1: '1 estrela', star2: '2 estrelas',
    star3: '3 estrelas', star4: '4 estrelas', star5: '5 estrelas', comment: 'Comentário (opcional)',
    commentPlaceholder: 'Algo a acrescentar? (opcional)', thanksRating: 'Obrigado pela sua avaliação',
  },
  ar: {
    title: 'تحدث معنا', launcher: 'دردشة', guest: 'زائر', openChat: 'افتح الدردشة', closeChat: 'أغلق الدردشة',
    openChatUnread: 'افتح الدردشة، {n} غير مقروءة', conversation: 'المحادثة',
    closed: 'أُغلقت هذه المحادثة. اكتب رسالة لفتحها من جديد.',
    empty: 'مرحبًا! اسألنا عن أي شيء — نرد عادةً خلال دقائق.',
    message: 'الرسالة', placeholder: 'اكتب رسالة…', send: 'إرسال', unavailable: 'هذه الدردشة غير متاحة.',
    typing: '{name} يكتب…', support: 'الدعم', you: 'أنت', automaticAnswer: 'رد تلقائي',
    automaticMessage: 'رسالة تلقائية', notSent: 'لم تُرسل', retry: 'أعد المحاولة', delete: 'احذف',
    sending: 'جارٍ الإرسال…', waiting: 'في انتظار الاتصال…', seen: 'شوهدت', sent: 'أُرسلت',
    idle: 'نرد في أقرب وقت ممكن', connecting: 'جارٍ الاتصال…', online: 'متصل', reconnecting: 'جارٍ إعادة الاتصال…',
    offline: 'غير متصل', refused: 'غير متاح',
    emailToggle: 'احصل على الرد بالبريد الإلكتروني', email: 'البريد الإلكتروني', save: 'حفظ',
    changeEmail: 'غيّر بريدك الإلكتروني', alsoReply: 'سنرد أيضًا على {email}.',
    badEmail: 'يُرجى إدخال بريد إلكتروني صالح.', saving: 'جارٍ الحفظ…', thanksEmail: 'شكرًا! سنرد أيضًا على {email}.',
    notConnected: 'غير متصل؛ حاول مرة أخرى بعد لحظة.',
    rateQuestion: 'كيف كانت هذه المحادثة؟', rating: 'التقييم', star1: 'نجمة واحدة', star2: 'نجمتان',
    star3: '3 نجوم', star4: '4 نجوم', star5: '5 نجوم', comment: 'تعليق (اختياري)',
    commentPlaceholder: 'هل تريد إضافة شيء؟ (اختياري)', thanksRating: 'شكرًا على رأيك',
  },
};

const RIGHT_TO_LEFT = new Set(['ar']);

/** The catalog's language for a script tag: data-locale, <html lang>, the browser's, English. */
function widgetLocale(script) {
  const wanted = [script.dataset.locale, document.documentElement.lang, navigator.language];
  for (const tag of wanted) {
    if (!tag) continue;
    const clean = String(tag).trim().replace(/_/g, '-');
    if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(clean)) continue;
    return { tag: clean, lang: WIDGET_STRINGS[clean.toLowerCase().split('-')[0]] ? clean.toLowerCase().split('-')[0] : 'en' };
  }
  return { tag: 'en', lang: 'en' };
}

/** t(key, {name: value}) in ``lang``, English for a missing key. */
function translator(lang) {
  const strings = WIDGET_STRINGS[lang] || WIDGET_STRINGS.en;
  const t = (key, params) => {
    const text = strings[key] || WIDGET_STRINGS.en[key] || key;
    return params ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole)) : text;
  };
  t.lang = lang;
  t.dir = RIGHT_TO_LEFT.has(lang) ? 'rtl' : 'ltr';
  return t;
}
