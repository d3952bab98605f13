// CloudFront Function (cloudfront-js-2.0), viewer request of the /console* behaviour: the live
// console is one static page; directory paths get its index.html, as a static web server would.
function handler(event) {
  var request = event.request;
  if (request.uri === '/console') {
    var query = Object.keys(request.querystring)
      .map(function (name) {
        return name + '=' + request.querystring[name].value;
      })
      .join('&');
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/console/' + (query ? '?' + query : '') } } };
  }
  if (request.uri.charAt(request.uri.length - 1) === '/') request.uri += 'index.html';
  return request;
}
