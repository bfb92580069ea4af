// Paddle's checkout for the account page's "Buy" button. A file, not an inline script: the
// pages' Content-Security-Policy runs no inline script. The values come from the button's
// data attributes (escaped by the page's template).
(function () {
  var buy = document.getElementById('buy');
  if (!buy || !window.Paddle) return;
  var d = buy.dataset;
  if (d.sandbox === 'true') window.Paddle.Environment.set('sandbox');
  window.Paddle.Initialize({ token: d.token });
  buy.addEventListener('click', function () {
    window.Paddle.Checkout.open({
      items: [{ priceId: d.price, quantity: 1 }],
      customData: { tenant_id: d.tenant, user_id: d.user },
      customer: { email: d.email },
    });
  });
})();
