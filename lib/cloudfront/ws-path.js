// CloudFront Function (cloudfront-js-2.0), viewer request of the /ws/2* behaviour: Ditto clients
// connect to <domain>/ws/2, API Gateway serves the WebSocket API at /<stage> and answers 403 to any
// other path. The query string (access_token) and headers pass on unchanged. __STAGE__ is replaced
// with the stage name when the stack is synthesized.
function handler(event) {
  var request = event.request;
  if (request.uri === '/ws/2' || request.uri === '/ws/2/') {
    request.uri = '/__STAGE__';
    return request;
  }
  return { statusCode: 404, statusDescription: 'Not Found' };
}
