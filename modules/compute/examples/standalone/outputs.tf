output "url" {
  description = "Where the page is served."
  value       = "http://${module.web.public_ip}"
}
