# ruff: noqa: E501  (a catalogue: one message a line, English then Arabic)
"""Arabic help of `himaya keys ...` (the service's DCI keys and their rotation) and of the partners'
encryption and key-retirement options, merged into `help_ar.HELP_AR` (keyed by the English help)."""

from __future__ import annotations

HELP_AR_KEYS = {
    "The service's DCI keys: the newest signing key signs; partners encrypt to its encryption keys.": "مفاتيح الخدمة في DCI: يوقّع أحدث مفتاح توقيع، ويشفّر الشركاء رسائلهم بمفاتيح التشفير الخاصة بها.",
    "Every DCI key of the service: id (kid), use, algorithm, when made, until when it is published.": "كل مفاتيح الخدمة في DCI: المعرّف (kid) والاستخدام والخوارزمية وتاريخ الإنشاء وحتى متى يبقى منشورًا.",
    "Make a new key of each use: messages are signed with the new one at once; the old ones stay in the JWKS (and decrypt) for the overlap, then retire.": "أنشئ مفتاحًا جديدًا لكل استخدام: تُوقَّع الرسائل بالجديد فورًا، وتبقى المفاتيح القديمة في JWKS (وتفك التشفير) طوال فترة التداخل ثم تُسحب.",
    "sig (signing) or enc (encryption) (repeat; default: both).": "sig (توقيع) أو enc (تشفير) (يمكن التكرار؛ الافتراضي: كلاهما).",
    "Days the keys it replaces stay published and accepted.": "عدد الأيام التي تبقى فيها المفاتيح المستبدلة منشورة ومقبولة.",
    "Retire a key now, before its overlap ends (e.g. a key that leaked): no longer published or used.": "اسحب مفتاحًا الآن قبل انتهاء فترة تداخله (مثلًا مفتاح تسرّب): لا يعود منشورًا ولا مستخدمًا.",
    "The key's id (kid), from `himaya keys list`.": "معرّف المفتاح (kid)، من `himaya keys list`.",
    "A public key (PEM or JWK: RSA or EC P-256) our messages to it are encrypted to.": "مفتاح عام (PEM أو JWK: RSA أو EC P-256) تُشفَّر به رسائلنا إليه.",
    "End a key's validity (by key id) at --retire-at, else now (repeat).": "أنهِ صلاحية مفتاح (بمعرّفه) عند --retire-at وإلا فالآن (يمكن التكرار).",
    "When the keys of --retire-key stop being valid (ISO time, zone).": "متى تنتهي صلاحية مفاتيح --retire-key (وقت بصيغة ISO مع المنطقة الزمنية).",
}
