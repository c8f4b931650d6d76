// The image a container app runs now, so that provisioning again (say, from a fresh
// checkout, where azd has no SERVICE_API_IMAGE_NAME yet) keeps the deployed image rather
// than putting the base image back. azd sets SERVICE_API_RESOURCE_EXISTS once the app
// exists.
@description('Whether the container app exists already.')
param exists bool
@description('The container app.')
param name string

resource existingApp 'Microsoft.App/containerApps@2024-10-02-preview' existing = if (exists) {
  name: name
}

// existingApp is there whenever exists is true: the condition guards the access (hence !).
output image string = exists ? existingApp!.properties.template.containers[0].image : ''
