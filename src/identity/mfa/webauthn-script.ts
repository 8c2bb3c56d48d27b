// The browser half of passkeys, served as a static file: the pages allow exactly this URL in
// `script-src` and run no inline script. A form marked `data-webauthn="create|get"` carries the
// server's options (JSON, base64url binary) in `data-options`; its button asks the browser for
// the credential, which goes back as JSON in the form's `credential` field, as
// @simplewebauthn/server reads it. Plain ES2020, no build step.

export const WEBAUTHN_SCRIPT_PATH = '/static/mfa-webauthn.js'

export const WEBAUTHN_SCRIPT = `'use strict';
(function () {
  function toBuffer(text) {
    var plain = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    return Uint8Array.from(plain, function (c) { return c.charCodeAt(0); }).buffer;
  }
  function fromBuffer(buffer) {
    var bytes = new Uint8Array(buffer), plain = '';
    for (var i = 0; i < bytes.length; i++) plain += String.fromCharCode(bytes[i]);
    return btoa(plain).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function withIds(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: toBuffer(c.id) }); });
  }
  function asJson(credential) {
    var r = credential.response;
    var out = {
      id: credential.id, rawId: fromBuffer(credential.rawId), type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: { clientDataJSON: fromBuffer(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = fromBuffer(r.attestationObject);
      out.response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = fromBuffer(r.authenticatorData);
      out.response.signature = fromBuffer(r.signature);
      if (r.userHandle) out.response.userHandle = fromBuffer(r.userHandle);
    }
    return out;
  }
  function wire(form) {
    var button = form.querySelector('[data-webauthn-start]');
    var status = form.querySelector('[data-webauthn-status]');
    if (!button) return;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.disabled = true;
      if (status) status.textContent = 'This browser cannot use passkeys.';
      return;
    }
    button.disabled = false;
    button.addEventListener('click', function () {
      var options = JSON.parse(form.getAttribute('data-options'));
      options.challenge = toBuffer(options.challenge);
      var asked;
      if (form.getAttribute('data-webauthn') === 'create') {
        options.user.id = toBuffer(options.user.id);
        options.excludeCredentials = withIds(options.excludeCredentials);
        asked = navigator.credentials.create({ publicKey: options });
      } else {
        options.allowCredentials = withIds(options.allowCredentials);
        asked = navigator.credentials.get({ publicKey: options });
      }
      button.disabled = true;
      if (status) status.textContent = 'Waiting for the passkey…';
      asked.then(function (credential) {
        form.querySelector('input[name="credential"]').value = JSON.stringify(asJson(credential));
        form.submit();
      }, function (err) {
        button.disabled = false;
        if (status) status.textContent = 'The passkey did not answer (' + (err && err.name) + '). Try again, or use a code.';
      });
    });
  }
  var forms = document.querySelectorAll('form[data-webauthn]');
  for (var i = 0; i < forms.length; i++) wire(forms[i]);
})();
`
