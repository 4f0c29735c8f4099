"""The web chat's own words (the widget's buttons, linking codes, e-mail), per language.

The conversation's words stay in ``bot/locales``; these belong to the channel. A language
missing here falls back to English; ``RTL`` languages get ``dir="rtl"``.
"""

from __future__ import annotations

RTL = frozenset({"ar", "fa"})

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Chat with us", "open": "Open the chat", "close": "Close the chat",
        "input": "Your message", "placeholder": "Write a message…", "send": "Send",
        "more": "More options", "continue_whatsapp": "Continue on WhatsApp",
        "continue_telegram": "Continue on Telegram", "have_code": "I have a code",
        "code_prompt": "Type the code you were given in the chat box and send it.",
        "link_code": "To continue this conversation on {channel}, send this code to us "
                     "there within {minutes} minutes: {code}",
        "link_open": "Open {channel}",
        "code_given": "Your code for the chat on our website: {code}. Type it there within "
                      "{minutes} minutes to continue this conversation.",
        "linked": "Done: this chat and your conversation on {channel} are now one.",
        "code_invalid": "This code is not valid any more. Please ask for a new one.",
        "too_long": "That message is too long. Please keep it under {limit} characters.",
        "too_fast": "You are writing very fast. Please wait a moment and try again.",
        "failed": "The message could not be sent. Please check your connection and try "
                  "again.",
        "download": "Download", "you": "You", "us": "Us", "new": "New message",
        "mail_subject": "A new message from {company}",
        "mail_footer": "You can answer in the chat on our website: {url}",
    },
    "ru": {
        "title": "Напишите нам", "open": "Открыть чат", "close": "Закрыть чат",
        "input": "Ваше сообщение", "placeholder": "Напишите сообщение…", "send": "Отправить",
        "more": "Другие действия", "continue_whatsapp": "Продолжить в WhatsApp",
        "continue_telegram": "Продолжить в Telegram", "have_code": "У меня есть код",
        "code_prompt": "Введите полученный код в поле сообщения и отправьте его.",
        "link_code": "Чтобы продолжить разговор в {channel}, отправьте нам туда этот код "
                     "в течение {minutes} минут: {code}",
        "link_open": "Открыть {channel}",
        "code_given": "Ваш код для чата на нашем сайте: {code}. Введите его там в течение "
                      "{minutes} минут, чтобы продолжить разговор.",
        "linked": "Готово: этот чат и ваш разговор в {channel} теперь объединены.",
        "code_invalid": "Этот код больше не действует. Пожалуйста, запросите новый.",
        "too_long": "Сообщение слишком длинное. Пожалуйста, не больше {limit} символов.",
        "too_fast": "Вы пишете очень быстро. Подождите немного и попробуйте снова.",
        "failed": "Сообщение не отправлено. Проверьте соединение и попробуйте снова.",
        "download": "Скачать", "you": "Вы", "us": "Мы", "new": "Новое сообщение",
        "mail_subject": "Новое сообщение от {company}",
        "mail_footer": "Ответить можно в чате на нашем сайте: {url}",
    },
    "uk": {
        "title": "Напишіть нам", "open": "Відкрити чат", "close": "Закрити чат",
        "input": "Ваше повідомлення", "placeholder": "Напишіть повідомлення…",
        "send": "Надіслати", "more": "Інші дії", "continue_whatsapp": "Продовжити у WhatsApp",
        "continue_telegram": "Продовжити в Telegram", "have_code": "У мене є код",
        "code_prompt": "Введіть отриманий код у поле повідомлення й надішліть його.",
        "link_code": "Щоб продовжити розмову в {channel}, надішліть нам туди цей код "
                     "протягом {minutes} хвилин: {code}",
        "link_open": "Відкрити {channel}",
        "code_given": "Ваш код для чату на нашому сайті: {code}. Введіть його там протягом "
                      "{minutes} хвилин, щоб продовжити розмову.",
        "linked": "Готово: цей чат і ваша розмова в {channel} тепер об'єднані.",
        "code_invalid": "Цей код більше не дійсний. Будь ласка, попросіть новий.",
        "too_long": "Повідомлення задовге. Будь ласка, не більше {limit} символів.",
        "too_fast": "Ви пишете дуже швидко. Зачекайте трохи й спробуйте знову.",
        "failed": "Повідомлення не надіслано. Перевірте з'єднання й спробуйте знову.",
        "download": "Завантажити", "you": "Ви", "us": "Ми", "new": "Нове повідомлення",
        "mail_subject": "Нове повідомлення від {company}",
        "mail_footer": "Відповісти можна в чаті на нашому сайті: {url}",
    },
    "ar": {
        "title": "تحدث معنا", "open": "افتح المحادثة", "close": "أغلق المحادثة",
        "input": "رسالتك", "placeholder": "اكتب رسالة…", "send": "إرسال",
        "more": "خيارات أخرى", "continue_whatsapp": "تابع على واتساب",
        "continue_telegram": "تابع على تيليجرام", "have_code": "لدي رمز",
        "code_prompt": "اكتب الرمز الذي حصلت عليه في مربع الرسالة وأرسله.",
        "link_code": "لمتابعة هذه المحادثة على {channel}، أرسل إلينا هذا الرمز هناك خلال "
                     "{minutes} دقيقة: {code}",
        "link_open": "افتح {channel}",
        "code_given": "رمزك للمحادثة على موقعنا: {code}. اكتبه هناك خلال {minutes} دقيقة "
                      "لمتابعة هذه المحادثة.",
        "linked": "تم: أصبحت هذه المحادثة ومحادثتك على {channel} محادثة واحدة.",
        "code_invalid": "هذا الرمز لم يعد صالحًا. يرجى طلب رمز جديد.",
        "too_long": "الرسالة طويلة جدًا. يرجى ألا تتجاوز {limit} حرفًا.",
        "too_fast": "أنت تكتب بسرعة كبيرة. يرجى الانتظار قليلًا ثم المحاولة مرة أخرى.",
        "failed": "تعذر إرسال الرسالة. يرجى التحقق من الاتصال والمحاولة مرة أخرى.",
        "download": "تنزيل", "you": "أنت", "us": "نحن", "new": "رسالة جديدة",
        "mail_subject": "رسالة جديدة من {company}",
        "mail_footer": "يمكنك الرد في المحادثة على موقعنا: {url}",
    },
    "fa": {
        "title": "با ما گفتگو کنید", "open": "باز کردن گفتگو", "close": "بستن گفتگو",
        "input": "پیام شما", "placeholder": "پیامی بنویسید…", "send": "ارسال",
        "more": "گزینه‌های دیگر", "continue_whatsapp": "ادامه در واتس‌اپ",
        "continue_telegram": "ادامه در تلگرام", "have_code": "کد دارم",
        "code_prompt": "کدی را که دریافت کرده‌اید در کادر پیام بنویسید و بفرستید.",
        "link_code": "برای ادامه این گفتگو در {channel}، این کد را ظرف {minutes} دقیقه "
                     "آنجا برای ما بفرستید: {code}",
        "link_open": "باز کردن {channel}",
        "code_given": "کد شما برای گفتگو در وب‌سایت ما: {code}. آن را ظرف {minutes} دقیقه "
                      "آنجا بنویسید تا این گفتگو ادامه یابد.",
        "linked": "انجام شد: این گفتگو و گفتگوی شما در {channel} اکنون یکی است.",
        "code_invalid": "این کد دیگر معتبر نیست. لطفاً کد جدیدی بخواهید.",
        "too_long": "این پیام خیلی طولانی است. لطفاً کمتر از {limit} نویسه بنویسید.",
        "too_fast": "خیلی سریع می‌نویسید. لطفاً کمی صبر کنید و دوباره امتحان کنید.",
        "failed": "پیام ارسال نشد. لطفاً اتصال خود را بررسی کنید و دوباره امتحان کنید.",
        "download": "دانلود", "you": "شما", "us": "ما", "new": "پیام جدید",
        "mail_subject": "پیامی جدید از {company}",
        "mail_footer": "می‌توانید در گفتگوی وب‌سایت ما پاسخ دهید: {url}",
    },
    "es": {
        "title": "Hable con nosotros", "open": "Abrir el chat", "close": "Cerrar el chat",
        "input": "Su mensaje", "placeholder": "Escriba un mensaje…", "send": "Enviar",
        "more": "Más opciones", "continue_whatsapp": "Continuar en WhatsApp",
        "continue_telegram": "Continuar en Telegram", "have_code": "Tengo un código",
        "code_prompt": "Escriba el código que recibió en el cuadro de mensaje y envíelo.",
        "link_code": "Para continuar esta conversación en {channel}, envíenos allí este "
                     "código en los próximos {minutes} minutos: {code}",
        "link_open": "Abrir {channel}",
        "code_given": "Su código para el chat de nuestro sitio web: {code}. Escríbalo allí "
                      "en los próximos {minutes} minutos para continuar la conversación.",
        "linked": "Listo: este chat y su conversación en {channel} ahora son una sola.",
        "code_invalid": "Este código ya no es válido. Pida uno nuevo, por favor.",
        "too_long": "El mensaje es demasiado largo. Use menos de {limit} caracteres.",
        "too_fast": "Está escribiendo muy rápido. Espere un momento y vuelva a intentarlo.",
        "failed": "No se pudo enviar el mensaje. Compruebe su conexión y vuelva a "
                  "intentarlo.",
        "download": "Descargar", "you": "Usted", "us": "Nosotros", "new": "Mensaje nuevo",
        "mail_subject": "Un mensaje nuevo de {company}",
        "mail_footer": "Puede responder en el chat de nuestro sitio web: {url}",
    },
    "fr": {
        "title": "Écrivez-nous", "open": "Ouvrir le chat", "close": "Fermer le chat",
        "input": "Votre message", "placeholder": "Écrivez un message…", "send": "Envoyer",
        "more": "Autres options", "continue_whatsapp": "Continuer sur WhatsApp",
        "continue_telegram": "Continuer sur Telegram", "have_code": "J'ai un code",
        "code_prompt": "Écrivez le code reçu dans la zone de message et envoyez-le.",
        "link_code": "Pour continuer cette conversation sur {channel}, envoyez-nous ce code "
                     "là-bas dans les {minutes} minutes : {code}",
        "link_open": "Ouvrir {channel}",
        "code_given": "Votre code pour le chat de notre site : {code}. Écrivez-le là-bas "
                      "dans les {minutes} minutes pour continuer la conversation.",
        "linked": "C'est fait : ce chat et votre conversation sur {channel} ne font plus "
                  "qu'un.",
        "code_invalid": "Ce code n'est plus valable. Demandez-en un nouveau, s'il vous plaît.",
        "too_long": "Ce message est trop long. Restez sous {limit} caractères, s'il vous "
                    "plaît.",
        "too_fast": "Vous écrivez très vite. Patientez un instant puis réessayez.",
        "failed": "Le message n'a pas pu être envoyé. Vérifiez votre connexion et "
                  "réessayez.",
        "download": "Télécharger", "you": "Vous", "us": "Nous", "new": "Nouveau message",
        "mail_subject": "Un nouveau message de {company}",
        "mail_footer": "Vous pouvez répondre dans le chat de notre site : {url}",
    },
}

#: Words that ask WhatsApp or Telegram for a code to continue in the web chat.
CODE_REQUEST_WORDS = frozenset({
    "webchat", "web chat", "/webchat", "веб-чат", "веб чат", "دردشة الموقع", "چت سایت",
    "chat web", "le chat web",
})


def language_of(code: str | None, default: str = "en") -> str:
    """A language the web chat has words for."""
    code = (code or "").strip().lower()[:2]
    return code if code in STRINGS else (default if default in STRINGS else "en")


def words(language: str | None) -> dict[str, str]:
    """All the widget's words in ``language`` (English for any missing one)."""
    return {**STRINGS["en"], **STRINGS[language_of(language)]}


def say(language: str | None, name: str, **values: object) -> str:
    """One of the words, filled in."""
    return words(language)[name].format(**values)


def direction(language: str | None) -> str:
    """``rtl`` for Arabic and Farsi, else ``ltr``."""
    return "rtl" if language_of(language) in RTL else "ltr"
