"""python-telegram-bot's ``Application`` with the handlers that feed the conversation core.

Each update becomes an :class:`~bot.messages.Inbound` with message id ``u<update_id>``. The
synchronous core runs in a worker thread. An update handled before (a webhook retry, a
restart while polling) is not answered again: its replies went out the first time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot as TelegramBot
from telegram import CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.engine import Bot
from bot.messages import Inbound, Reply
from channels.telegram import CHANNEL
from channels.telegram.client import api_urls, delivery_failure
from channels.telegram.commands import command_text
from channels.telegram.media import media_of
from channels.telegram.ordering import PerChatUpdateProcessor
from channels.telegram.render import CallbackCodec, plan_messages, send_outgoing
from channels.telegram.store import mark_unreachable, message_id
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]
_OPEN_KEYBOARDS_KEPT = 50_000


class TelegramConversations:
    """Turns updates into the core's messages and its replies into Telegram messages."""

    def __init__(
        self,
        runtime: Runtime,
        bot: Bot,
        *,
        codec: CallbackCodec | None = None,
        sleep: Sleep = asyncio.sleep,
        longest_wait: float = 30.0,
    ) -> None:
        self.runtime = runtime
        self.bot = bot
        self.codec = codec or CallbackCodec()
        self.sleep = sleep
        #: chat id -> the message whose keyboard is still live (this process's memory).
        self.open_keyboards: dict[int, int] = {}
        #: A ``RetryAfter`` longer than this drops the rest of a reply instead of waiting.
        self.longest_wait = longest_wait

    def handlers(self) -> list[BaseHandler[Any, Any, Any]]:
        """New private messages and every button press."""
        private_messages = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
        return [MessageHandler(private_messages, self.on_update),
                CallbackQueryHandler(self.on_update)]

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one message or button press (called in order within each chat)."""
        chat = update.effective_chat
        if chat is None or chat.type != chat.PRIVATE:
            return  # groups (e.g. the staff chat) are not conversations with the core
        query = update.callback_query
        if query is not None:
            await acknowledge(query)
            if query.message is not None:
                chat_id = query.message.chat.id
                if self.open_keyboards.get(chat_id) == query.message.message_id:
                    del self.open_keyboards[chat_id]
        inbound = self.inbound(update)
        if inbound is None:
            return
        replies = await asyncio.to_thread(self.answer, inbound)
        if replies is None:
            log.info("update %s was handled before; not answered again", update.update_id)
            return
        await self.deliver(context.bot, int(inbound.user_id), replies)

    def inbound(self, update: Update) -> Inbound | None:
        """The update as the core's message, or None if it is not for the core."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type != chat.PRIVATE:
            return None
        common: dict[str, Any] = {
            "channel": CHANNEL,
            "user_id": str(chat.id),
            "message_id": message_id(update.update_id),
            "display_name": user.full_name if user else None,
            "language_hint": user.language_code if user else None,
        }
        if update.callback_query is not None:
            token, choice_id = self.codec.decode(chat.id, update.callback_query.data)
            return Inbound(**common, choice_id=choice_id, choice_token=token)
        message = update.message
        if message is None:
            return None
        text = message.text if message.text is not None else message.caption
        if text and text.startswith("/"):
            text = command_text(text)
        contact = message.contact
        phone = contact.phone_number if contact and user and contact.user_id == user.id else None
        has_attachment = message.effective_attachment is not None and message.text is None
        return Inbound(**common, text=text, phone=phone, attachments=int(has_attachment),
                       media=media_of(message))

    def answer(self, inbound: Inbound) -> list[Reply] | None:
        """The core's replies; None if this update was handled (and answered) before."""
        handled = self.bot.receive(inbound)
        return None if handled.repeated else handled.replies

    async def deliver(self, tg_bot: TelegramBot, chat_id: int, replies: list[Reply]) -> None:
        """Send the replies in order; wait once if Telegram asks to slow down.

        The keyboard of the previous question goes first: only the newest one can be pressed.
        """
        await self.close_keyboard(tg_bot, chat_id)
        for item in plan_messages(replies):
            for attempt in (1, 2):
                try:
                    message = await send_outgoing(tg_bot, chat_id, item, self.codec)
                except TelegramError as exc:
                    failed = delivery_failure(exc)
                    wait = failed.retry_after
                    if wait is not None and attempt == 1 and wait <= self.longest_wait:
                        await self.sleep(wait)
                        continue
                    if wait is not None:
                        log.warning("reply dropped: Telegram asked to wait %.0f s", wait)
                    elif failed.unreachable:
                        await asyncio.to_thread(mark_unreachable, self.runtime, chat_id)
                    else:
                        log.warning("reply not delivered: %s", type(exc).__name__)
                    return
                if item.choices is not None:
                    self._remember_keyboard(chat_id, message.message_id)
                break

    def _remember_keyboard(self, chat_id: int, message_id: int) -> None:
        self.open_keyboards.pop(chat_id, None)
        self.open_keyboards[chat_id] = message_id
        if len(self.open_keyboards) > _OPEN_KEYBOARDS_KEPT:  # forget the longest-quiet chat
            del self.open_keyboards[next(iter(self.open_keyboards))]

    async def close_keyboard(self, tg_bot: TelegramBot, chat_id: int) -> None:
        """Remove the buttons of the last question sent to ``chat_id``, if still shown."""
        message_id = self.open_keyboards.pop(chat_id, None)
        if message_id is None:
            return
        try:
            await tg_bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except TelegramError as exc:  # too old to edit, or already removed
            log.debug("keyboard not removed: %s", type(exc).__name__)


async def acknowledge(query: CallbackQuery) -> None:
    """Stop the button's spinner and take the keyboard away, so it cannot be pressed twice."""
    try:
        await query.answer()
    except TelegramError as exc:  # e.g. a redelivered press whose query has expired
        log.debug("callback query not answered: %s", type(exc).__name__)
    if query.message is not None and getattr(query.message, "reply_markup", None) is not None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as exc:  # too old to edit, or already removed
            log.debug("keyboard not removed: %s", type(exc).__name__)


async def log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a failure by kind and update id only: message content is never logged."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    log.error("Telegram update %s failed: %s", update_id, type(error).__name__,
              exc_info=(type(error), error, error.__traceback__) if error else None)


def build_application(
    runtime: Runtime,
    bot: Bot,
    *,
    webhook: bool = False,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    conversations: TelegramConversations | None = None,
    workers: int = 8,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application for this runtime: polling with an updater, or webhook without."""
    settings = runtime.settings
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    base_url, base_file_url = api_urls(settings.telegram_api_base_url)
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(base_file_url)
        .concurrent_updates(PerChatUpdateProcessor(workers))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    conversations = conversations or TelegramConversations(runtime, bot)
    application.add_handlers(conversations.handlers())
    application.add_error_handler(log_error)
    return application
