// CloudFront Function (cloudfront-js-2.0), viewer request of the /console* behaviour: the live
// console is one static page; directory paths get its index.html, as a static web server would.
// /console goes to /console/ by a 302 that is not cached: its query may carry a token.
function handler(event) {
  var request = event.request;
  if (request.uri === '/console') {
    var query = Object.keys(request.querystring)
      .map(function (name) {
        return name + '=' + request.querystring[name].value;
      })
      .join('&');
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/console/' + (query ? '?' + query : '') }, 'cache-control': { value: 'no-store' } } };
  }
  // The behaviour's pattern /console* also matches /consoleX: not the console.
  if (request.uri.indexOf('/console/') !== 0) return { statusCode: 404, statusDescription: 'Not Found' };
  if (request.uri.charAt(request.uri.length - 1) === '/') request.uri += 'index.html';
  return request;
}
